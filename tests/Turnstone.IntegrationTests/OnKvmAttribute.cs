using Turnstone.Engine;

namespace Turnstone.IntegrationTests;

/// <summary>Rows on KVM: skipped, with the reason (<see cref="Kvm.SkipPrefix"/>), where /dev/kvm is not usable.</summary>
public sealed class OnKvmAttribute : EngineDataAttribute
{
    public OnKvmAttribute(string? rows = null) : base(EngineChoice.Kvm, rows)
    {
        Skip = Kvm.SkipReason;
    }
}
