namespace Turnstone.Devices.Virtio.Console;

/// <summary>Fixed numbers of the virtio-console device (virtio 1.2, 5.3) for a single port.</summary>
public static class VirtioConsoleProtocol
{
    /// <summary>virtio device ID of a console.</summary>
    public const uint DeviceId = 3;

    /// <summary>receiveq of port 0: the driver posts device-writable buffers, the device fills them with host input.</summary>
    public const int ReceiveQueueIndex = 0;

    /// <summary>transmitq of port 0: the driver posts device-readable buffers holding guest output.</summary>
    public const int TransmitQueueIndex = 1;

    /// <summary>struct virtio_console_config: le16 cols, le16 rows, le32 max_nr_ports, le32 emerg_wr.</summary>
    public const int ConfigSize = 12;

    public const int ColumnsOffset = 0;
    public const int RowsOffset = 2;
    public const int MaxPortsOffset = 4;
    public const int EmergencyWriteOffset = 8;
}

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
