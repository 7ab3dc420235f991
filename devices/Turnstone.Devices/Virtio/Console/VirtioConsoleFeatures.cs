namespace Turnstone.Devices.Virtio.Console;

/// <summary>virtio-console feature bits (virtio 1.2, 5.3.3).</summary>
public static class VirtioConsoleFeatures
{
    /// <summary>VIRTIO_CONSOLE_F_SIZE (0): cols and rows are valid; a change comes with a configuration interrupt.</summary>
    public const ulong Size = 1UL << 0;

    /// <summary>VIRTIO_CONSOLE_F_MULTIPORT (1): control queues and more than one port. Not offered.</summary>
    public const ulong Multiport = 1UL << 1;

    /// <summary>VIRTIO_CONSOLE_F_EMERG_WRITE (2): a write to emerg_wr outputs one character.</summary>
    public const ulong EmergencyWrite = 1UL << 2;
}
