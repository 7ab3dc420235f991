using Turnstone.Devices.Virtio;
using Turnstone.Devices.Virtio.Console;

namespace Turnstone.Devices.VirtioPci;

/// <summary>
/// Puts a <see cref="VirtioConsoleDevice"/> behind <see cref="IVirtioDevice"/>, so the Virtio folder stays
/// transport-agnostic. Whoever builds the PCI function also connects the console's host events to it:
/// <see cref="ConnectTo"/> does that.
/// </summary>
public sealed class VirtioConsoleDeviceAdapter(VirtioConsoleDevice device) : IVirtioDevice
{
    public VirtioConsoleDevice Device { get; } = device ?? throw new ArgumentNullException(nameof(device));

    public uint DeviceType => Device.DeviceId;

    public ulong OfferedFeatures => Device.OfferedFeatures;

    public IReadOnlyList<Virtqueue> Queues => Device.Queues;

    public int ConfigSize => VirtioConsoleProtocol.ConfigSize;

    public bool AcceptFeatures(ulong driverFeatures) => Device.AcceptFeatures(driverFeatures);

    public void ReadConfig(ulong offset, Span<byte> data) => Device.ReadConfig(offset, data);

    public void WriteConfig(ulong offset, ReadOnlySpan<byte> data) => Device.WriteConfig(offset, data);

    public VirtqueueRunResult ProcessQueue(int queueIndex) => Device.ProcessQueue(queueIndex);

    public void Reset() => Device.Reset();

    /// <summary>
    /// Routes host input to the receive queue through <paramref name="function"/> (so it is delivered on
    /// the transport's processing thread, with its interrupt and reset rules) and a terminal resize to a
    /// configuration change notification. <paramref name="function"/> must be the one built on this adapter.
    /// </summary>
    public void ConnectTo(VirtioPciDevice function)
    {
        ArgumentNullException.ThrowIfNull(function);
        if (!ReferenceEquals(function.Device, this))
        {
            throw new ArgumentException("the PCI function was built on a different device", nameof(function));
        }
        Device.InputAvailable += () => function.Notify(VirtioConsoleProtocol.ReceiveQueueIndex);
        Device.ConfigurationChanged += function.NotifyConfigChanged;
    }
}
