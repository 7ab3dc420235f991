namespace Turnstone.Hypervisor.Kvm;

/// <summary>The answer of <see cref="KvmSystem.Probe"/>: can guests run on KVM here, and if not, why.</summary>
public sealed record KvmAvailability(bool IsUsable, string Reason)
{
    public static KvmAvailability Usable { get; } = new(true, "/dev/kvm is usable");

    public static KvmAvailability Unusable(string reason) => new(false, reason);
}
