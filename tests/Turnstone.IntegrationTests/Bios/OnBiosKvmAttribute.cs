using Turnstone.Engine;
using Turnstone.Hypervisor.Quirks;
using Turnstone.Machine.Engines;

namespace Turnstone.IntegrationTests.Bios;

/// <summary>
/// Rows of a BIOS boot on KVM: skipped (counted with <see cref="Kvm.SkipPrefix"/>) without KVM and
/// on a nested PVM host, whose KVM cannot run the real-mode code a BIOS boot starts with (the
/// machine refuses <c>--engine kvm</c> there for the same reason). There the same boots run on KVM
/// nested in QEMU instead (<see cref="BiosOnNestedKvmTests"/>).
/// </summary>
public sealed class OnBiosKvmAttribute : EngineDataAttribute
{
    public OnBiosKvmAttribute(string? rows = null) : base(EngineChoice.Kvm, rows)
    {
        Skip = Kvm.SkipReason ?? (HostQuirks.Detect().EmulatesGuestKernelCode
            ? $"{Kvm.SkipPrefix} a KVM that runs real-mode code; {MachineEngineSelection.BiosOnNestedKvm} (BiosOnNestedKvmTests runs these boots on KVM nested in QEMU)"
            : null);
    }
}
