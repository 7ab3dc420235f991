using Turnstone.Devices.Virtio;
using Turnstone.Devices.Virtio.Block;

namespace Turnstone.Devices.VirtioPci;

/// <summary>
/// Puts a <see cref="VirtioBlockDevice"/> behind <see cref="IVirtioDevice"/>. The block device already
/// has the shape a transport needs; only the configuration size and the (read-only) configuration
/// write are added here, so the Virtio folder stays transport-agnostic.
/// </summary>
public sealed class VirtioBlockDeviceAdapter(VirtioBlockDevice device) : IVirtioDevice
{
    public VirtioBlockDevice Device { get; } = device ?? throw new ArgumentNullException(nameof(device));

    public uint DeviceType => Device.DeviceId;

    public ulong OfferedFeatures => Device.OfferedFeatures;

    public IReadOnlyList<Virtqueue> Queues => Device.Queues;

    public int ConfigSize => VirtioBlockConfig.Size;

    public bool AcceptFeatures(ulong driverFeatures) => Device.AcceptFeatures(driverFeatures);

    public void ReadConfig(ulong offset, Span<byte> data) => Device.ReadConfig(offset, data);

    /// <summary>Every field is read-only while VIRTIO_BLK_F_CONFIG_WCE is not offered (writeback is its only writable one).</summary>
    public void WriteConfig(ulong offset, ReadOnlySpan<byte> data)
    {
    }

    public VirtqueueRunResult ProcessQueue(int queueIndex) => Device.ProcessQueue(queueIndex);

    public void Reset() => Device.Reset();
}
