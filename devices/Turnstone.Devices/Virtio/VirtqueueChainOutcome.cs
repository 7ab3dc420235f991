namespace Turnstone.Devices.Virtio;

/// <summary>What a device made of one chain: its used length, or that the driver broke the protocol.</summary>
public readonly record struct VirtqueueChainOutcome(bool NeedsReset, uint UsedLength, string? Problem);
