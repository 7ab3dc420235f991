using Turnstone.Engine;
using Turnstone.Hypervisor.Quirks;

namespace Turnstone.IntegrationTests;

/// <summary>
/// Rows on a KVM that runs guest kernel code on the hardware. Skipped (counted with
/// <see cref="Kvm.SkipPrefix"/>) without KVM, and on a nested PVM host, whose KVM emulates guest
/// kernel code: it misdelivers SYSCALL from a bare guest's own ring 3 and cannot run INT n in
/// guest kernel mode, so guests built on those cannot run there at all.
/// </summary>
public sealed class OnNativeKvmAttribute : EngineDataAttribute
{
    public OnNativeKvmAttribute(string? rows = null) : base(EngineChoice.Kvm, rows)
    {
        Skip = Kvm.SkipReason ?? (HostQuirks.Detect().MisdeliversUserSystemCalls
            ? $"{Kvm.SkipPrefix} a KVM that runs guest kernel code natively; this host's is nested PVM (kvm_pvm), which misdelivers a bare guest's SYSCALL and cannot run INT n in guest kernel mode"
            : null);
    }
}
