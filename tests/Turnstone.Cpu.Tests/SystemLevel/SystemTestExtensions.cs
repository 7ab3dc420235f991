using Turnstone.Cpu.Tests.TestSupport;

namespace Turnstone.Cpu.Tests.SystemLevel;

internal static class SystemTestExtensions
{
    /// <summary>Starts the CPU at CPL 3 at <paramref name="rip"/> with the user stack.</summary>
    public static void EnterUserMode(this LongModeMachine machine, ulong rip)
    {
        var cpu = machine.Cpu;
        cpu.SetSegment(SegmentName.Cs, SegmentRegister.FlatCode64(LongModeMachine.UserCodeSelector, 3));
        cpu.SetSegment(SegmentName.Ss, SegmentRegister.FlatData(LongModeMachine.UserDataSelector, 3));
        cpu.SetRegister(GeneralRegister.Rsp, LongModeMachine.UserStackTop);
        cpu.Rip = rip;
    }
}
