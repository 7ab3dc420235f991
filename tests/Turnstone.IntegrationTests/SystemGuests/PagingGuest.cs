using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Turnstone.IntegrationTests.SystemGuests.SystemGuestLayout;

namespace Turnstone.IntegrationTests.SystemGuests;

/// <summary>
/// Page faults and what they report (error code bits, CR2) for a not-present page, a write to a
/// read-only page with CR0.WP set and clear, an NX fetch, fetches crossing into an
/// unmapped page; accessed and dirty bits at each level; CR3 reloads flushing the TLB.
/// </summary>
public static class PagingGuest
{
    public static byte[] Build()
    {
        return SystemGuestImage.BuildLongModeGuest((a, c) =>
        {
            Label pageFault = a.CreateLabel();
            GuestPrologue.SetGate64(a, 14, pageFault);
            GuestHandlers.LoadIdt(a);
            c.Print("64: paging\n");

            c.Print("not present read\n");
            a.mov(__qword_ptr[TestPages + 8], 0x1234);
            Map(a, TestPages, TestPages);
            a.mov(rax, __qword_ptr[TestPages + 8]);
            c.Value("read after the fix", rax);

            c.Print("write to a read-only page, CR0.WP set\n");
            Map(a, TestPages + 0x1000, (TestPages + 0x1000) | 5);
            a.mov(__qword_ptr[TestPages + 0x1008], 0x55);
            a.mov(rax, __qword_ptr[TestPages + 0x1008]);
            c.Value("written after the fix", rax);

            c.Print("write to a read-only page, CR0.WP clear: no fault\n");
            Map(a, TestPages + 0x2000, (TestPages + 0x2000) | 5);
            a.mov(rax, cr0);
            a.btr(rax, 16);
            a.mov(cr0, rax);
            a.mov(__qword_ptr[TestPages + 0x2010], 0x66);
            a.bts(rax, 16);
            a.mov(cr0, rax);
            a.mov(rax, __qword_ptr[TestPages + 0x2010]);
            c.Value("written", rax);

            c.Print("fetch from an NX page\n");
            a.mov(__byte_ptr[TestPages + 0x3000], 0xC3); // ret
            a.mov(rax, 1UL << 63);
            a.or(GuestPrologue.PageTableEntry(TestPages + 0x3000), rax);
            a.invlpg(__[TestPages + 0x3000]);
            a.mov(eax, TestPages + 0x3000);
            a.call(rax);
            c.Print("returned from the page\n");

            c.Print("accessed and dirty bits\n");
            Map(a, TestPages + 0x5000, (TestPages + 0x5000) | 7);
            a.mov(rax, __qword_ptr[TestPages + 0x5000]);
            a.mov(rax, GuestPrologue.PageTableEntry(TestPages + 0x5000));
            a.and(eax, 0x60);
            c.Value("pte after a read", rax);
            a.mov(__qword_ptr[TestPages + 0x5000], rax);
            a.mov(rax, GuestPrologue.PageTableEntry(TestPages + 0x5000));
            a.and(eax, 0x60);
            c.Value("pte after a write", rax);
            a.mov(__qword_ptr[PageDirectory + 2 * 8], 0x40_0000 | 0x87); // A and D clear
            a.mov(rax, cr3);
            a.mov(cr3, rax);
            a.mov(__qword_ptr[0x40_0010], rax);
            a.mov(rax, __qword_ptr[PageDirectory + 2 * 8]);
            a.and(eax, 0x60);
            c.Value("2 MiB pde after a write", rax);
            a.mov(rax, __qword_ptr[Pml4]);
            a.and(eax, 0x60);
            c.Value("pml4e", rax);

            c.Print("fetch running into an unmapped page\n");
            a.mov(__word_ptr[TestPages + 0x6FFE], 0x9090); // nop; nop; then ret on the next page
            a.mov(__byte_ptr[TestPages + 0x7000], 0xC3);
            Map(a, TestPages + 0x7000, TestPages + 0x7000);
            a.mov(eax, TestPages + 0x6FFE);
            a.call(rax);
            c.Print("an instruction straddling into an unmapped page\n");
            a.mov(__byte_ptr[TestPages + 0x8FFD], 0xB8); // mov eax, 0xC3C3C3C3; ret
            a.mov(__dword_ptr[TestPages + 0x8FFE], 0xC3C3_C3C3);
            a.mov(__byte_ptr[TestPages + 0x9002], 0xC3);
            Map(a, TestPages + 0x9000, TestPages + 0x9000);
            a.mov(eax, TestPages + 0x8FFD);
            a.call(rax);
            c.Value("eax from the straddling mov", rax);

            c.Print("CR3 reload flushes the TLB\n");
            a.mov(__qword_ptr[TestPages + 0xA000], 0xAA);
            a.mov(rax, __qword_ptr[TestPages + 0xB000]);
            a.mov(GuestPrologue.PageTableEntry(TestPages + 0xB000), (int)((TestPages + 0xA000) | 7));
            a.mov(rax, cr3);
            a.mov(cr3, rax);
            a.mov(rax, __qword_ptr[TestPages + 0xB000]);
            c.Value("read through the new mapping", rax);
            c.Reset();
            GuestHandlers.EmitPageFault(a, c, ref pageFault);
        });
    }

    /// <summary>Sets the 4 KiB page-table entry of <paramref name="page"/> and invalidates its translation
    /// (an entry without the present bit keeps the frame, so the fault handler's repair maps it back).</summary>
    private static void Map(Assembler a, uint page, uint entry)
    {
        a.mov(GuestPrologue.PageTableEntry(page), (int)entry);
        a.invlpg(__[page]);
    }
}
