namespace Turnstone.Devices.Virtio;

/// <summary>
/// A virtio device as a transport sees it: its type, feature bits, configuration space and
/// queues, the queue loop, and the host-side events the transport answers. The transport (virtio-pci here, virtio-mmio later) owns the
/// registers, the device status and the interrupts; the device owns the requests.
/// </summary>
/// <remarks>
/// Threading contract the transport keeps: <see cref="ProcessQueue"/> is never called for two
/// queues at once, nor concurrently with <see cref="AcceptFeatures"/> or <see cref="Reset"/>.
/// <see cref="ReadConfig"/> and <see cref="WriteConfig"/> (vCPU threads) and the register writes
/// that configure a queue which is not enabled yet may run while another queue is processed, so
/// <see cref="ProcessQueue"/>(i) touches queue i only and the configuration must be safe to read
/// meanwhile. None of these members may throw on guest-controlled input.
/// </remarks>
public interface IVirtioDevice
{
    /// <summary>The virtio device ID (1 net, 2 block, 3 console, ...); the PCI device ID is 0x1040 + this.</summary>
    uint DeviceType { get; }

    /// <summary>Every feature bit the device offers; must include VIRTIO_F_VERSION_1.</summary>
    ulong OfferedFeatures { get; }

    /// <summary>
    /// The driver set FEATURES_OK with these features (a subset of <see cref="OfferedFeatures"/>
    /// with VERSION_1, the transport checked that much). False refuses them: FEATURES_OK stays clear.
    /// </summary>
    bool AcceptFeatures(ulong driverFeatures);

    /// <summary>The virtqueues, in queue-index order; their <see cref="Virtqueue.MaxSize"/> is what queue_size offers.</summary>
    IReadOnlyList<Virtqueue> Queues { get; }

    /// <summary>Bytes of device-specific configuration (0 if none; the transport then omits the structure).</summary>
    int ConfigSize { get; }

    /// <summary>A driver read of the device configuration; any offset and width, past-the-end reads as zero.</summary>
    void ReadConfig(ulong offset, Span<byte> data);

    /// <summary>A driver write to the device configuration; read-only fields ignore it.</summary>
    void WriteConfig(ulong offset, ReadOnlySpan<byte> data);

    /// <summary>The driver notified queue <paramref name="queueIndex"/>: drain it and say what the transport must signal.</summary>
    VirtqueueRunResult ProcessQueue(int queueIndex);

    /// <summary>The driver reset the device: forget features, queues and any failure.</summary>
    void Reset();

    /// <summary>
    /// The device has work for a queue that no driver notification announced (host input arrived for
    /// a receive queue): the transport runs that queue as if the driver had notified it, on its own
    /// processing rules. Raised on the host's thread, outside every lock of the device.
    /// </summary>
    event Action<int>? QueueWorkAvailable;

    /// <summary>
    /// The device configuration changed on the host's side (a terminal resized): the transport bumps
    /// the configuration generation and sends a configuration change notification. Raised on the
    /// host's thread, outside every lock of the device.
    /// </summary>
    event Action? ConfigurationChanged;
}
