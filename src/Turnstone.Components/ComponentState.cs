namespace Turnstone.Components;

public enum ComponentState
{
    Created,
    Initialising,
    /// <summary>Initialised and waiting for calls (it issued READY).</summary>
    Ready,
    Calling,
    /// <summary>Its start-up code called EXIT; it serves no calls.</summary>
    Exited,
    /// <summary>Stopped by a fault or a limit; the VM is gone.</summary>
    Faulted,
}

/// <summary>Counters for one component, updated by its own thread.</summary>
public sealed class ComponentStatistics
{
    public long Exits { get; internal set; }
    public long Hypercalls { get; internal set; }
    public long Calls { get; internal set; }
    public long TicksDelivered { get; internal set; }
    public long PrintedBytes { get; internal set; }
    public int SnapshotPages { get; internal set; }
    public int LastRestoredPages { get; internal set; }
    public string? LastHostFunctionError { get; internal set; }

    /// <summary>The engine's retired-instruction counter for this component's vCPU as of the last exit,
    /// on engines that count (the software engine; null under KVM). A recycled machine keeps counting,
    /// so read it as a difference between two points.</summary>
    public long? InstructionsRetired { get; internal set; }
}
