namespace Turnstone.Devices.Virtio.Block;

/// <summary>The status byte the device writes as the last writable byte of a request.</summary>
public enum VirtioBlockStatus : byte
{
    Ok = 0,
    IoError = 1,
    Unsupported = 2,
}
