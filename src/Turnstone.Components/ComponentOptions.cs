using Turnstone.Engine;

namespace Turnstone.Components;

/// <summary>A function the component may call by name: input bytes in, result bytes out. An
/// exception becomes TS_EHOST in the component; it never reaches the VM's thread.</summary>
public delegate byte[] HostFunction(byte[] input);

public sealed record ComponentOptions
{
    public ComponentLimits Limits { get; init; } = new();

    /// <summary>The engine to run on. <see cref="Component.LoadAsync(string, ComponentOptions?)"/> opens
    /// it; a shared <see cref="ComponentRuntime"/> has its own and refuses options asking for another.
    /// Auto: KVM when /dev/kvm can be opened, the software engine otherwise.</summary>
    public EngineChoice Engine { get; init; } = EngineChoice.Auto;

    /// <summary>Restore the post-initialisation snapshot before every call, so each call starts clean
    /// (the default, as in Hyperlight). Off: state carries over from call to call.</summary>
    public bool RestoreStateBeforeEachCall { get; init; } = true;

    /// <summary>Where the component's PRINT output goes (raw bytes); null discards it.</summary>
    public Stream? Output { get; init; }

    public IReadOnlyDictionary<string, HostFunction> HostFunctions { get; init; } = new Dictionary<string, HostFunction>();
}
