using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>
/// POPF runs inside a block, interpreted and compiled (it used to end every block): a POPF that sets
/// IF takes a pending interrupt before the next instruction, as on hardware; one that restores only
/// the arithmetic flags with IF still clear leaves the interrupt pending and the code runs on with
/// the restored carry.
/// </summary>
public sealed class PopfInsideBlockTests
{
    private const int Interpreted = -1, CompiledFromTheStart = 0;
    private const ulong InterruptFlag = 0x200, CarryFlag = 1, ReservedOne = 2;

    [Theory, InlineData(Interpreted), InlineData(CompiledFromTheStart)]
    public void Popfq_that_sets_if_takes_a_pending_interrupt_before_the_next_instruction(int threshold)
    {
        using var machine = new LongModeMachine();
        machine.Cpu.CompileThreshold = threshold;
        machine.Cpu.NativeCompileThreshold = -1; // the .NET tier's own behaviour
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(eax, 1);
            a.push((int)(InterruptFlag | ReservedOne));
            a.popfq();
            a.mov(ebx, 2);
            a.hlt();
        });
        ulong afterPopf = LongModeMachine.KernelCode + 5 + 5 + 1;
        machine.Cpu.RequestInterrupt(0x40);

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);

        Assert.Equal(0x40, machine.VectorFromHaltRip());
        Assert.Equal(1UL, machine.Register(GeneralRegister.Rax));
        Assert.Equal(0UL, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(afterPopf, machine.ReadUInt64(machine.Register(GeneralRegister.Rsp)));
        Assert.Equal(threshold == CompiledFromTheStart, machine.Cpu.BlocksCompiled > 0);
    }

    [Theory, InlineData(Interpreted), InlineData(CompiledFromTheStart)]
    public void Popfq_that_keeps_if_clear_leaves_the_interrupt_pending_and_restores_the_carry(int threshold)
    {
        using var machine = new LongModeMachine();
        machine.Cpu.CompileThreshold = threshold;
        machine.Cpu.NativeCompileThreshold = -1; // the .NET tier's own behaviour
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(ebx, 5);
            a.push((int)(CarryFlag | ReservedOne));
            a.popfq();
            a.adc(ebx, 0);
            a.hlt();
        });
        machine.Cpu.RequestInterrupt(0x40);

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);

        Assert.Null(machine.VectorFromHaltRip());
        Assert.Equal(6UL, machine.Register(GeneralRegister.Rbx));
        Assert.True(machine.Cpu.InterruptPending);
        Assert.Equal(threshold == CompiledFromTheStart, machine.Cpu.BlocksCompiled > 0);
    }

    [Theory, InlineData(Interpreted), InlineData(CompiledFromTheStart)]
    public void Popfd_in_32_bit_code_that_sets_if_takes_a_pending_interrupt_before_the_next_instruction(int threshold)
    {
        using var machine = new LegacyModeMachine();
        machine.Cpu.CompileThreshold = threshold;
        machine.Cpu.NativeCompileThreshold = -1; // the .NET tier's own behaviour
        machine.EnterProtectedMode32();
        machine.Assemble(LegacyModeMachine.Code, 32, a =>
        {
            a.mov(eax, 1);
            a.push((int)(InterruptFlag | ReservedOne));
            a.popfd();
            a.mov(ebx, 2);
            a.hlt();
        });
        uint afterPopf = (uint)LegacyModeMachine.Code + 5 + 5 + 1;
        machine.Cpu.RequestInterrupt(0x40);

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);

        Assert.Equal(0x40, machine.VectorFromHaltRip());
        Assert.Equal(1UL, machine.Register(GeneralRegister.Rax));
        Assert.Equal(0UL, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(afterPopf, (uint)machine.ReadUInt64(machine.Register(GeneralRegister.Rsp)));
        Assert.Equal(threshold == CompiledFromTheStart, machine.Cpu.BlocksCompiled > 0);
    }
}
