using Turnstone.Hypervisor.Quirks;

namespace Turnstone.IntegrationTests.NestedKvm;

/// <summary>Which KVM rows a nested-KVM test repeats, and so where the host's own KVM makes it redundant.</summary>
public enum NestedKvmRows
{
    /// <summary>Rows that need real mode (a BIOS boot): a nested PVM host's KVM cannot run them.</summary>
    RealMode,

    /// <summary>Rows any usable KVM runs (Linux boots): only a host without one needs the nested KVM.</summary>
    AnyGuest,
}

/// <summary>
/// A test on KVM nested in QEMU (<see cref="KvmHostVm"/>): it runs where the host's own KVM cannot
/// run the rows it repeats (rows), and is skipped with the reason where QEMU is
/// missing or the host's KVM runs them itself.
/// </summary>
public sealed class KvmInQemuFactAttribute : FactAttribute
{
    public KvmInQemuFactAttribute(NestedKvmRows rows = NestedKvmRows.RealMode) => Skip = KvmInQemu.SkipReason(rows);
}

/// <summary>The theory form of <see cref="KvmInQemuFactAttribute"/>.</summary>
public sealed class KvmInQemuTheoryAttribute : TheoryAttribute
{
    public KvmInQemuTheoryAttribute(NestedKvmRows rows = NestedKvmRows.RealMode) => Skip = KvmInQemu.SkipReason(rows);
}

internal static class KvmInQemu
{
    public static string? SkipReason(NestedKvmRows rows) => KvmHostVm.UnavailableReason ?? (rows switch
    {
        NestedKvmRows.RealMode when Kvm.SkipReason is null && !HostQuirks.Detect().EmulatesGuestKernelCode =>
            "this host's own KVM runs these rows (the OnBiosKvm rows); nesting KVM in QEMU would repeat them",
        NestedKvmRows.AnyGuest when Kvm.SkipReason is null =>
            "this host's own KVM runs these rows (the OnKvm rows); nesting KVM in QEMU would repeat them",
        _ => null,
    });
}
