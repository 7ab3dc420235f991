using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>NMIs: vector 2 whatever RFLAGS.IF says, waking a halted core, and none nested inside an
/// NMI handler before its IRETQ (one more is held and delivered after it).</summary>
public sealed class NmiTests
{
    private const ulong Handler = 0x18000;
    private const ulong ReleaseFlag = LongModeMachine.DataPage;

    [Fact]
    public void An_NMI_wakes_a_core_halted_with_interrupts_off()
    {
        using var machine = new LongModeMachine();
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.cli();
            a.hlt();
            a.mov(ebx, 7);
        });
        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);

        machine.Cpu.RequestNmi();
        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);

        Assert.Equal(2, machine.VectorFromHaltRip());
        Assert.True(machine.Cpu.NmisBlocked);
        Assert.False(machine.Cpu.NmiPending);
        Assert.Equal(LongModeMachine.KernelCode + 2, machine.ReadUInt64(machine.Register(GeneralRegister.Rsp)));
    }

    [Fact]
    public void A_second_NMI_waits_for_the_handlers_IRETQ()
    {
        using var machine = new LongModeMachine();
        machine.SetGate(2, Handler);
        machine.Assemble(Handler, a =>
        {
            var wait = a.CreateLabel();
            a.inc(rbx);
            a.Label(ref wait);
            a.cmp(__byte_ptr[ReleaseFlag], 0);
            a.je(wait);
            a.iretq();
        });
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            var loop = a.CreateLabel();
            a.sti();
            a.Label(ref loop);
            a.inc(rdx);
            a.jmp(loop);
        });
        Assert.Equal(CpuExitReason.BudgetExhausted, machine.Cpu.Run(50).Reason);

        machine.Cpu.RequestNmi();
        machine.Cpu.Run(50);
        Assert.Equal(1ul, machine.Register(GeneralRegister.Rbx));
        Assert.True(machine.Cpu.NmisBlocked);

        machine.Cpu.RequestNmi(); // while the handler runs: held
        machine.Cpu.Run(200);
        Assert.Equal(1ul, machine.Register(GeneralRegister.Rbx));
        Assert.True(machine.Cpu.NmiPending);

        machine.WriteBytes(ReleaseFlag, [1]); // the handler returns; the held NMI runs it once more
        machine.Cpu.Run(200);
        Assert.Equal(2ul, machine.Register(GeneralRegister.Rbx));
        Assert.False(machine.Cpu.NmiPending);
        Assert.False(machine.Cpu.NmisBlocked);
        ulong loopCount = machine.Register(GeneralRegister.Rdx);
        machine.Cpu.Run(50);
        Assert.True(machine.Register(GeneralRegister.Rdx) > loopCount, "the interrupted loop runs again");
    }
}
