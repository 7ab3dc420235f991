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
}
