using Turnstone.Engine;

namespace Turnstone.Bench.Boot;

/// <summary>One row of <c>bench boot</c>: a kernel on one of our engines, and the command line our
/// run gets (the common part plus our engine's default additions).</summary>
public sealed record BootBenchRowPlan(BootBenchKernel Kernel, EngineKind Engine, string CommandLine)
{
    public string EngineName => Engine == EngineKind.Kvm ? "kvm" : "soft";

    /// <summary>QEMU's: the common part only. Our additions work around a nested PVM host that QEMU
    /// TCG is not on (KVM rows; the software engine adds nothing).</summary>
    public string QemuCommandLine => BootCommandLines.Common;
}
