namespace Turnstone.Devices.Virtio;

/// <summary>A device's side of <see cref="VirtqueueDrain.Run"/>: which chains to take and what to do with each.</summary>
public interface IVirtqueueChainHandler
{
    /// <summary>
    /// Whether to pop another chain now. Always true for a queue whose chains carry their own work;
    /// false for one that consumes buffers only while the device has something to put in them (a
    /// console's receive queue without input), so buffers are never returned empty.
    /// </summary>
    bool WantsChain { get; }

    VirtqueueChainOutcome Handle(VirtqueueDescriptorChain chain);
}
