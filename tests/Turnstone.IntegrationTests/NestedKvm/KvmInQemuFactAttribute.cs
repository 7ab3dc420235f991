using Turnstone.Hypervisor.Quirks;

namespace Turnstone.IntegrationTests.NestedKvm;

/// <summary>
/// A test on KVM nested in QEMU (<see cref="KvmHostVm"/>): it runs where the host's own KVM cannot
/// run the rows it repeats (no usable /dev/kvm, or a nested PVM KVM, which cannot run real mode),
/// and is skipped with the reason where QEMU is missing or the host's KVM runs them itself.
/// </summary>
public sealed class KvmInQemuFactAttribute : FactAttribute
{
    public KvmInQemuFactAttribute() => Skip = KvmInQemu.SkipReason;
}

/// <summary>The theory form of <see cref="KvmInQemuFactAttribute"/>.</summary>
public sealed class KvmInQemuTheoryAttribute : TheoryAttribute
{
    public KvmInQemuTheoryAttribute() => Skip = KvmInQemu.SkipReason;
}

internal static class KvmInQemu
{
    public static string? SkipReason => KvmHostVm.UnavailableReason ??
        (Kvm.SkipReason is null && !HostQuirks.Detect().EmulatesGuestKernelCode
            ? "this host's own KVM runs these rows (the OnBiosKvm rows); nesting KVM in QEMU would repeat them"
            : null);
}
