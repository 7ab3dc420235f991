namespace Turnstone.Hypervisor.Quirks;

/// <summary>
/// What the host's KVM gets wrong and the monitor must repair. Detected once per process from the
/// loaded kernel modules; an ordinary hardware host needs no repair.
/// </summary>
public sealed record HostQuirks(bool MisdeliversUserSystemCalls)
{
    public static HostQuirks None { get; } = new(false);

    /// <summary>The nested "PVM" KVM (module kvm_pvm) runs guest CPL 3 natively but delivers a user-mode
    /// <c>syscall</c> as a #PF at LSTAR and <c>int $0x80</c> as a #UD.</summary>
    public static HostQuirks Detect(string sysModule = "/sys/module")
    {
        bool pvm = Directory.Exists(Path.Combine(sysModule, "kvm_pvm"));
        return new(MisdeliversUserSystemCalls: pvm) { EmulatesGuestKernelCode = pvm };
    }

    /// <summary>The nested "PVM" KVM emulates every guest kernel instruction: Linux boots there about
    /// 30 times slower than on the software engine (README, "Nested hosts").</summary>
    public bool EmulatesGuestKernelCode { get; init; }
}
