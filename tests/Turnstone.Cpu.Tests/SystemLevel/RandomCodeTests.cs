using Turnstone.Cpu.Tests.TestSupport;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>Random bytes run as real-mode, 16-bit and 32-bit protected-mode code: whatever the
/// guest runs, the engine ends with an exit (never a .NET exception in the host).</summary>
public sealed class RandomCodeTests
{
    [Theory]
    [InlineData("real")]
    [InlineData("protected32")]
    [InlineData("protected16")]
    public void Random_code_ends_in_an_exit_and_never_throws(string mode)
    {
        using var machine = new LegacyModeMachine();
        var random = new Random(mode.Length * 7919);
        var code = new byte[4096];
        for (int round = 0; round < 150; round++)
        {
            random.NextBytes(code);
            machine.WriteBytes(LegacyModeMachine.Code, code);
            switch (mode)
            {
                case "real":
                    machine.Cpu.ResetForBootSector();
                    machine.Cpu.SetSegment(SegmentName.Cs, new SegmentRegister(0x1000, 0x10000, 0xFFFF, 0x9B));
                    machine.Cpu.Rip = 0;
                    break;
                case "protected32":
                    machine.EnterProtectedMode32();
                    break;
                default:
                    machine.EnterProtectedMode32();
                    machine.Cpu.SetSegment(SegmentName.Cs, new SegmentRegister(LegacyModeMachine.Code16Selector, LegacyModeMachine.Code, 0xFFFF, 0x9B));
                    machine.Cpu.Rip = 0;
                    break;
            }
            machine.Cpu.Halted = false;
            for (int run = 0; run < 20; run++)
            {
                var exit = machine.Cpu.Run(500);
                if (exit.Reason is CpuExitReason.PortRead or CpuExitReason.MmioRead)
                {
                    machine.Cpu.CompleteRead(0);
                    continue;
                }
                if (exit.Reason is not (CpuExitReason.PortWrite or CpuExitReason.MmioWrite))
                {
                    Assert.Contains(exit.Reason, (CpuExitReason[])[CpuExitReason.Halt, CpuExitReason.Shutdown, CpuExitReason.NotImplemented, CpuExitReason.BudgetExhausted]);
                    break;
                }
            }
        }
    }
}
