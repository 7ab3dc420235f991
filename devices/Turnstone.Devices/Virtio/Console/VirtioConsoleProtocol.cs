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
