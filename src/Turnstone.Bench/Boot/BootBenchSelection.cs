namespace Turnstone.Bench.Boot;

/// <summary><c>turnstone bench boot --engine auto|soft|kvm|both</c>.</summary>
public enum BootBenchSelection
{
    /// <summary>The software engine, and KVM too where /dev/kvm can be opened.</summary>
    Auto,
    Soft,
    Kvm,
    Both,
}
