using Turnstone.Engine;

namespace Turnstone.Bench.Bios;

/// <summary>One row of <c>bench bios</c>: an image on one of our engines, next to QEMU + SeaBIOS
/// on the same engine class (TCG for the software engine, KVM for KVM).</summary>
public sealed record BiosBenchRowPlan(BiosBenchImage Image, EngineKind Engine)
{
    public string EngineName => Engine == EngineKind.Kvm ? "kvm" : "soft";

    public string QemuAccelerator => Engine == EngineKind.Kvm ? "kvm" : "tcg";
}
