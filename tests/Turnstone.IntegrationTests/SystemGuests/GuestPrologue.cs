using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Turnstone.IntegrationTests.SystemGuests.SystemGuestLayout;

namespace Turnstone.IntegrationTests.SystemGuests;

/// <summary>Code every system-level guest shares: the 32-bit start, the way into long mode, IDT gates.</summary>
public static class GuestPrologue
{
    /// <summary>
    /// The PVH entry: a stack, known RFLAGS (the loaders leave theirs), our GDT and flat data
    /// segments, and the PIC masked (QEMU's firmware leaves the PIT ticking on IRQ 0).
    /// </summary>
    public static void Start32(Assembler a)
    {
        a.mov(esp, KernelStackTop);
        a.push(2);
        a.popfd();
        a.lgdt(__[GdtPointer]);
        LoadDataSegments32(a);
        a.mov(al, 0xFF);
        a.@out(0x21, al);
        a.@out(0xA1, al);
    }

    public static void LoadDataSegments32(Assembler a)
    {
        a.mov(ax, DataSelector);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(fs, ax);
        a.mov(gs, ax);
        a.mov(esp, KernelStackTop);
    }

    /// <summary>
    /// Builds 4-level page tables identity-mapping the first GiB (the first 2 MiB by 4 KiB pages,
    /// the rest by 2 MiB pages, all user-accessible so ring-3 tests can run the same code), enables
    /// PAE, EFER.LME/NXE/SCE, paging with CR0.WP, and jumps to <see cref="SystemGuestLayout.Code64"/>.
    /// </summary>
    public static void EnterLongMode(Assembler a)
    {
        Label directory = a.CreateLabel(), table = a.CreateLabel();
        a.cld();
        a.mov(edi, Pml4);
        a.xor(eax, eax);
        a.mov(ecx, 4 * 1024);
        a.rep.stosd();
        a.mov(__dword_ptr[Pml4], Pdpt | 7);
        a.mov(__dword_ptr[Pdpt], PageDirectory | 7);
        a.mov(__dword_ptr[PageDirectory], PageTable | 7);
        a.mov(ecx, 1);
        a.Label(ref directory);
        a.mov(eax, ecx);
        a.shl(eax, 21);
        a.or(eax, 0x87); // present, writable, user, 2 MiB
        a.mov(__dword_ptr[ecx * 8 + PageDirectory], eax);
        a.inc(ecx);
        a.cmp(ecx, 512);
        a.jb(directory);
        a.xor(ecx, ecx);
        a.Label(ref table);
        a.mov(eax, ecx);
        a.shl(eax, 12);
        a.or(eax, 7);
        a.mov(__dword_ptr[ecx * 8 + PageTable], eax);
        a.inc(ecx);
        a.cmp(ecx, 512);
        a.jb(table);
        a.mov(eax, cr4);
        a.or(eax, 0x20); // PAE
        a.mov(cr4, eax);
        a.mov(eax, Pml4);
        a.mov(cr3, eax);
        a.mov(ecx, 0xC000_0080);
        a.rdmsr();
        a.or(eax, 0x901); // LME, NXE, SCE
        a.wrmsr();
        a.mov(eax, cr0);
        a.or(eax, 0x8001_0000); // PG, WP
        a.mov(cr0, eax);
        a.jmp(Code64Selector, Code64);
    }

    /// <summary>64-bit: flat data segments and the kernel stack after the far jump.</summary>
    public static void Start64(Assembler a)
    {
        a.mov(ax, DataSelector);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(rsp, KernelStackTop);
    }

    /// <summary>
    /// Points 64-bit IDT entry <paramref name="vector"/> at <paramref name="handler"/>: an
    /// interrupt gate (trap gate with <paramref name="trap"/>), callable from ring 3 with
    /// <paramref name="userCallable"/>, on IST stack <paramref name="ist"/> (0: none).
    /// </summary>
    public static void SetGate64(Assembler a, int vector, Label handler, bool trap = false, bool userCallable = false, int ist = 0)
    {
        uint entry = Idt64 + (uint)vector * 16;
        byte type = (byte)(0x80 | (userCallable ? 0x60 : 0) | (trap ? 0xF : 0xE));
        a.lea(rax, __[handler]);
        a.mov(__word_ptr[entry], ax);
        a.mov(__word_ptr[entry + 2], Code64Selector);
        a.mov(__byte_ptr[entry + 4], (byte)ist);
        a.mov(__byte_ptr[entry + 5], type);
        a.shr(rax, 16);
        a.mov(__word_ptr[entry + 6], ax);
        a.shr(rax, 16);
        a.mov(__dword_ptr[entry + 8], eax);
        a.mov(__dword_ptr[entry + 12], 0);
    }

    /// <summary>A 4 KiB page-table entry of the first 2 MiB (as a memory operand, 64-bit code).</summary>
    public static AssemblerMemoryOperand PageTableEntry(uint address) => __qword_ptr[PageTable + (address >> 12) * 8];

    /// <summary>Far return to <paramref name="selector"/>:<paramref name="target"/> from 64-bit code (RETFQ).</summary>
    public static void FarReturn64(Assembler a, ushort selector, uint target)
    {
        a.push(selector);
        a.push((int)target);
        a.db(0x48, 0xCB); // retfq: Iced's assembler has no mnemonic for the REX.W form
    }
}
