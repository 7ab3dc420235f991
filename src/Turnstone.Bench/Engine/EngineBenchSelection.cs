namespace Turnstone.Bench.Engine;

/// <summary><c>turnstone bench engine --engine auto|kvm|soft|both</c>.</summary>
public enum EngineBenchSelection
{
    /// <summary>Both where KVM is usable, else the software engine alone.</summary>
    Auto,
    Kvm,
    Soft,
    Both,
}
