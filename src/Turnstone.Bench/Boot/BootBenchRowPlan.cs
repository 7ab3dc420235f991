using Turnstone.Engine;

namespace Turnstone.Bench.Boot;

/// <summary>One row of <c>bench boot</c>: a kernel on one of our engines, and the command line
/// both it and QEMU's run get.</summary>
public sealed record BootBenchRowPlan(BootBenchKernel Kernel, EngineKind Engine, string CommandLine)
{
    public string EngineName => Engine == EngineKind.Kvm ? "kvm" : "soft";
}
