namespace Turnstone.Devices.Virtio.Block;

/// <summary>What a started request's completion has to check: how many bytes it must have moved, and which way.</summary>
public readonly record struct StartedBlockRequest(ulong DataLength, BlockIoDirection Direction);
