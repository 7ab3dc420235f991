namespace Turnstone.Devices.Virtio;

/// <summary>One guest buffer of a descriptor chain: a guest-physical range already checked to lie
/// inside a single region of guest RAM, and whether the device may write it.</summary>
public readonly record struct VirtqueueSegment(ulong Address, uint Length, bool IsWritable);
