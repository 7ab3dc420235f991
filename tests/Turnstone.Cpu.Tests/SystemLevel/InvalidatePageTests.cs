using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>INVLPG drops the translation it names, for a 4 KiB page and for any address inside a
/// 2 MiB page whose 4 KiB pieces the TLB holds, so a changed mapping is seen at once.</summary>
public sealed class InvalidatePageTests
{
    private static void Write64(LongModeMachine machine, ulong address, ulong value) => machine.WriteBytes(address, BitConverter.GetBytes(value));

    [Fact]
    public void Invlpg_of_a_4KiB_page_makes_its_new_mapping_visible()
    {
        using var machine = new LongModeMachine();
        Write64(machine, 0x61000, 0x11);
        Write64(machine, 0x62000, 0x22);
        machine.SetPageEntry(0x70000, 0x61000 | 3);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(rax, __qword_ptr[0x70000]);
            a.mov(rcx, __qword_ptr[0x71000]); // another page's translation, which stays valid
            a.mov(__qword_ptr[LongModeMachine.PageTable + 0x70 * 8], 0x62000 | 3);
            a.mov(rbx, __qword_ptr[0x70000]); // still the old translation: the TLB holds it
            a.invlpg(__[0x70000]);
            a.mov(rdx, __qword_ptr[0x70000]);
            a.hlt();
        });

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Equal(0x11ul, machine.Register(GeneralRegister.Rax));
        Assert.Equal(0x11ul, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(0x22ul, machine.Register(GeneralRegister.Rdx));
    }

    [Fact]
    public void Invlpg_anywhere_in_a_2MiB_page_drops_every_piece_of_it()
    {
        using var machine = new LongModeMachine();
        Write64(machine, 0x20_1000, 0x11);
        Write64(machine, 0x40_1000, 0x22);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(rax, __qword_ptr[0x20_1000]); // 2 MiB page 1 maps physical 0x200000
            a.mov(rcx, (2ul << 21) | 0x83);
            a.mov(__qword_ptr[LongModeMachine.PageDirectory + 8], rcx); // now physical 0x400000
            a.invlpg(__[0x20_5000]); // another 4 KiB piece of the same large page
            a.mov(rdx, __qword_ptr[0x20_1000]);
            a.hlt();
        });

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Equal(0x11ul, machine.Register(GeneralRegister.Rax));
        Assert.Equal(0x22ul, machine.Register(GeneralRegister.Rdx));
    }

    /// <summary>
    /// Calls <paramref name="rip"/> twice (R8, R9: found, then followed through the caller's link
    /// and the jump cache), rewrites the page-table entry of page <paramref name="remapped"/> to
    /// <paramref name="newEntry"/>, runs <paramref name="beforeInvalidation"/>, invalidates the
    /// page and calls again (R10). The code at each frame returns its number in EBX.
    /// </summary>
    private static void RemapAndCallAgain(LongModeMachine machine, ulong rip, ulong remapped, ulong newEntry, Action<Iced.Intel.Assembler>? beforeInvalidation = null) =>
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(rax, rip);
            a.call(rax);
            a.mov(r8, rbx);
            a.call(rax);
            a.mov(r9, rbx);
            a.mov(rdx, newEntry);
            a.mov(__qword_ptr[LongModeMachine.PageTable + (remapped >> 12) * 8], rdx);
            beforeInvalidation?.Invoke(a);
            a.invlpg(__[remapped]);
            a.call(rax);
            a.mov(r10, rbx);
            a.hlt();
        });

    [Fact]
    public void Invlpg_of_a_code_page_runs_the_code_of_its_new_frame_and_invlpg_of_a_data_page_leaves_it_found()
    {
        // INVLPG drops the jump cache's entries and the block links only for pages code was found
        // in: this checks that the page of a found block counts as one.
        using var machine = new LongModeMachine();
        machine.Assemble(0x81000, a => { a.mov(ebx, 1); a.ret(); });
        machine.Assemble(0x82000, a => { a.mov(ebx, 2); a.ret(); });
        machine.SetPageEntry(0x70000, 0x81000 | 3);
        RemapAndCallAgain(machine, 0x70000, 0x70000, 0x82000 | 3, a =>
        {
            a.invlpg(__[0x71000]); // another page: the old translation is still held
            a.call(rax);
            a.mov(r11, rbx);
        });

        CallResults.AssertHaltsWith(machine, 1, 1, 2, 1);
    }

    [Fact]
    public void Invlpg_of_the_page_a_jump_crosses_into_takes_its_new_displacement()
    {
        // jmp rel32 at 90FFDh: opcode and the displacement's low half (EFFEh) on the first page,
        // the high half on the next: 0000h in frame 82000h (to A0000h), 0001h in 83000h (to B0000h).
        // No block starts on that next page, so only the crossing block can note it as a code page.
        using var machine = new LongModeMachine();
        machine.WriteBytes(0x81FFD, [0xE9, 0xFE, 0xEF]);
        machine.WriteBytes(0x82000, [0x00, 0x00]);
        machine.WriteBytes(0x83000, [0x01, 0x00]);
        machine.Assemble(0xA0000, a => { a.mov(ebx, 1); a.ret(); });
        machine.Assemble(0xB0000, a => { a.mov(ebx, 2); a.ret(); });
        machine.SetPageEntry(0x90000, 0x81000 | 3);
        machine.SetPageEntry(0x91000, 0x82000 | 3);
        RemapAndCallAgain(machine, 0x90FFD, 0x91000, 0x83000 | 3);

        CallResults.AssertHaltsWith(machine, 1, 1, 2);
    }
}
