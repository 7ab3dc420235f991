namespace Turnstone.Cpu.Tests.TestSupport;

/// <summary>For tests whose guest records one result after another in R8, R9, ... and halts.</summary>
internal static class CallResults
{
    /// <summary>Runs the machine (at most 1,000 instructions) to HLT and checks R8, R9, ... in order against <paramref name="fromR8"/>.</summary>
    public static void AssertHaltsWith(TestMachine machine, params ulong[] fromR8)
    {
        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(1000).Reason);
        for (int i = 0; i < fromR8.Length; i++)
        {
            Assert.Equal(fromR8[i], machine.Register(GeneralRegister.R8 + i));
        }
    }
}
