using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>The decoded-code cache stays within its budget by dropping every block when full, and
/// code run after the drop decodes again and computes the same.</summary>
public sealed class DecodedCodeBudgetTests
{
    private const int Blocks = 1500;

    [Fact]
    public void Running_more_code_than_the_budget_drops_the_cache_and_still_computes_right()
    {
        using var machine = new LongModeMachine();
        machine.Cpu.DecodedCodeBudgetBytes = 32 * 1024;
        // Three passes over 1,500 one-instruction blocks (an add, then a jump to the next): far
        // more decoded code than 32 KiB, and every block runs again after being dropped.
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            var pass = a.CreateLabel();
            a.mov(rcx, 3);
            a.Label(ref pass);
            for (int i = 0; i < Blocks; i++)
            {
                var next = a.CreateLabel();
                a.add(rax, i + 1);
                a.jmp(next);
                a.Label(ref next);
            }
            a.dec(rcx);
            a.jnz(pass);
            a.hlt();
        });

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100_000).Reason);
        Assert.Equal(3ul * Blocks * (Blocks + 1) / 2, machine.Register(GeneralRegister.Rax));
        Assert.True(machine.Cpu.DecodedCodeFlushes >= 3, $"{machine.Cpu.DecodedCodeFlushes} flushes");
        Assert.InRange(machine.Cpu.DecodedCodeBytes, 1, machine.Cpu.DecodedCodeBudgetBytes);
    }

    [Fact]
    public void Code_within_the_budget_is_never_dropped()
    {
        using var machine = new LongModeMachine();
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            var loop = a.CreateLabel();
            a.mov(rcx, 10_000);
            a.Label(ref loop);
            a.add(rax, 2);
            a.dec(rcx);
            a.jnz(loop);
            a.hlt();
        });

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100_000).Reason);
        Assert.Equal(20_000ul, machine.Register(GeneralRegister.Rax));
        Assert.Equal(0, machine.Cpu.DecodedCodeFlushes);
    }
}
