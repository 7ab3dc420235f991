namespace Turnstone.Engine;

/// <summary>What runs the guest's instructions.</summary>
public enum EngineKind
{
    /// <summary>The host CPU through /dev/kvm (Turnstone.Hypervisor).</summary>
    Kvm,
    /// <summary>The x86-64 interpreter in C# (Turnstone.Cpu), for hosts without /dev/kvm.</summary>
    Software,
}
