namespace Turnstone.Engine;

/// <summary>What the user asked for (<c>--engine auto|kvm|soft</c>, the library options).</summary>
public enum EngineChoice
{
    /// <summary>KVM when /dev/kvm can be opened, the software engine otherwise.</summary>
    Auto,
    Kvm,
    Soft,
}
