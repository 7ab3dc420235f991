namespace Turnstone.Devices.Virtio.Block;

/// <summary>The <c>type</c> field of a virtio-blk request header (virtio 1.2, 5.2.6).</summary>
public enum VirtioBlockRequestType : uint
{
    In = 0,
    Out = 1,
    Flush = 4,
    GetId = 8,
    GetLifetime = 10,
    Discard = 11,
    WriteZeroes = 13,
    SecureErase = 14,
}
