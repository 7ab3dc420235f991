using Turnstone.Engine;
using Turnstone.Machine;

namespace Turnstone.Bench.Boot;

/// <summary>
/// The kernel command line of a <c>bench boot</c> row: the common part, plus what
/// <c>turnstone run</c> adds by default on that engine (so our run is what a user gets); QEMU gets
/// the common part (<see cref="BootBenchRowPlan.QemuCommandLine"/>).
/// </summary>
public static class BootCommandLines
{
    public const string Common = "console=ttyS0 reboot=k panic=-1 quiet";

    /// <summary>The options the engine's default command line has beyond <see cref="Common"/>
    /// (<see cref="MachineConfig.DefaultCommandLineFor"/>): none on the software engine;
    /// noxsave clearcpuid=smap on KVM.</summary>
    public static string EngineAdditions(EngineKind engine)
    {
        var common = Common.Split(' ').ToHashSet();
        return string.Join(' ', MachineConfig.DefaultCommandLineFor(engine).Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(option => !common.Contains(option)));
    }

    public static string For(EngineKind engine) => $"{Common} {EngineAdditions(engine)}".TrimEnd();
}
