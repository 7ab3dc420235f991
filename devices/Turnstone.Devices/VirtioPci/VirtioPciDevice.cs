using System.Buffers.Binary;
using System.Numerics;
using Turnstone.Devices.Pci;
using Turnstone.Devices.Virtio;
using Turnstone.PciRoot;
using static Turnstone.Devices.VirtioPci.VirtioPciLayout;

namespace Turnstone.Devices.VirtioPci;

/// <summary>
/// The virtio 1.x PCI transport, modern interface only (no legacy I/O BAR): a PCI Express
/// function 1AF4:(1040 + device type) whose vendor-specific capabilities point at the common
/// configuration, ISR, device configuration and notify structures in BAR0, with MSI-X in BAR2
/// (see <see cref="VirtioPciLayout"/>) and INTx A as the fallback when MSI-X is off.
/// </summary>
/// <remarks>
/// <para>Wiring. The machine maps BAR0 and BAR2 with <see cref="PciBarWindow"/>s as they move
/// (<see cref="PciConfigSpace.BarMappingChanged"/>), registers one ioeventfd per queue at BAR0's
/// address + <see cref="NotifyOffsetOf"/> (2-byte writes, no datamatch: Linux writes the queue
/// index with iowrite16) and calls <see cref="Notify"/> from the worker that waits on it. A notify
/// write that reaches <see cref="WriteBar"/> instead (no ioeventfd, or the PCI_CFG window) runs
/// the same path. MSI-X goes out through the <see cref="IMsiSink"/>, INTx through
/// <see cref="PciDevice.ConnectInterrupt"/>. The device's host events
/// (<see cref="IVirtioDevice.QueueWorkAvailable"/>, <see cref="IVirtioDevice.ConfigurationChanged"/>)
/// are connected to <see cref="Notify"/> and <see cref="NotifyConfigChanged"/> by the constructor.</para>
/// <para>Threading. Every transport register (BAR0, the PCI_CFG window) and every interrupt
/// decision is serialised by the function's config lock (<c>Config.Gate</c>); it has to be that
/// lock, not one of ours, because PCI_CFG accesses arrive from inside it (config-space events) and
/// a second lock would be taken in both orders. The queue loop itself
/// (<see cref="IVirtioDevice.ProcessQueue"/>) runs outside the lock, so a vCPU reading ISR or
/// masking a vector never waits for disk I/O: one thread at a time owns processing, kicks that
/// arrive meanwhile are queued for the owner, and a reset written while processing runs is
/// finished by the owner (device_status reads non-zero until then, which the spec lets a driver
/// wait for). Interrupts are delivered under the lock, so none leaves after a completed reset.
/// The MSI-X table and its BAR have their own lock and never wait for the transport; the sink and
/// the INTx line must not call back into this function.</para>
/// </remarks>
public sealed partial class VirtioPciDevice : PciDevice
{
    /// <summary>Queues the layout has room for: one MSI-X vector each plus the configuration vector.</summary>
    public const int MaximumQueues = MsixTable.MaximumVectors - 1;

    private readonly IVirtioDevice _device;
    private readonly ushort[] _queueVectors;
    private readonly bool[] _kickPending;
    private readonly int _pciConfigCapability;

    private uint _deviceFeatureSelect, _driverFeatureSelect;
    private ulong _driverFeatures;
    private VirtioDeviceStatus _status;
    private byte _configGeneration, _isr;
    private ushort _configVector = NoVector, _queueSelect;
    private bool _processing, _resetPending;
    private int _nextKick;

    public VirtioPciDevice(IVirtioDevice device, IMsiSink msiSink, PciClassCode? classCode = null)
        : base(new PciConfigSpace(Identify(device, classCode), PciInterruptPin.IntA))
    {
        ArgumentNullException.ThrowIfNull(msiSink);
        int queueCount = device.Queues.Count;
        if (queueCount is < 1 or > MaximumQueues)
        {
            throw new ArgumentException($"a virtio-pci device has 1..{MaximumQueues} queues, not {queueCount}", nameof(device));
        }
        if (device.ConfigSize is < 0 or > MaximumDeviceConfigSize)
        {
            throw new ArgumentException($"device configuration of {device.ConfigSize} bytes does not fit its 4 KiB page", nameof(device));
        }
        if ((device.OfferedFeatures & VirtioFeatures.Version1) == 0)
        {
            throw new ArgumentException("a modern-only transport needs a device that offers VIRTIO_F_VERSION_1", nameof(device));
        }
        if ((device.OfferedFeatures & (VirtioFeatures.RingPacked | VirtioFeatures.NotificationData)) != 0)
        {
            throw new ArgumentException("this transport implements neither packed rings nor notification data", nameof(device));
        }
        _device = device;
        _queueVectors = new ushort[queueCount];
        _kickPending = new bool[queueCount];
        Array.Fill(_queueVectors, NoVector);

        StructureBarSize = Math.Max(MinimumStructureBarSize, BitOperations.RoundUpToPowerOf2(NotifyOffset + NotifyOffMultiplier * (ulong)queueCount));
        Config.DefineBar(StructureBar, PciBarKind.Memory64, StructureBarSize, prefetchable: true);

        // Linux asks for one vector for configuration changes and one per queue, and falls back to
        // sharing (or to INTx) when it gets fewer.
        int vectors = queueCount + 1;
        uint pbaOffset = Math.Max(MsixPbaOffset, (uint)(vectors * MsixTable.EntrySize + 7) & ~7u);
        ulong msixBarSize = Math.Max(MinimumMsixBarSize, BitOperations.RoundUpToPowerOf2(pbaOffset + (ulong)((vectors + 63) / 64 * 8)));
        Config.DefineBar(MsixBar, PciBarKind.Memory32, msixBarSize);
        Msix = new MsixTable(vectors, MsixBar, MsixTableOffset, MsixBar, pbaOffset, msiSink);

        PciExpressCapability.AddIntegratedEndpoint(Config);
        MsixCapability.Add(Config, Msix);
        VendorSpecificCapability.Add(Config, VirtioCapability(CommonConfigType, CommonConfigOffset, VirtioPciCommonConfig.Length));
        var notify = VirtioCapability(NotifyConfigType, NotifyOffset, NotifyOffMultiplier * (uint)queueCount, extra: 4);
        BinaryPrimitives.WriteUInt32LittleEndian(notify.AsSpan(NotifyMultiplierIndex), NotifyOffMultiplier);
        VendorSpecificCapability.Add(Config, notify);
        VendorSpecificCapability.Add(Config, VirtioCapability(IsrConfigType, IsrOffset, 1));
        if (device.ConfigSize > 0)
        {
            VendorSpecificCapability.Add(Config, VirtioCapability(DeviceConfigType, DeviceConfigOffset, (uint)device.ConfigSize));
        }
        _pciConfigCapability = AddPciConfigWindow();
        // Last, so a host event raised on another thread finds the function complete.
        device.QueueWorkAvailable += Notify;
        device.ConfigurationChanged += NotifyConfigChanged;
    }

    public IVirtioDevice Device => _device;

    public MsixTable Msix { get; }

    public ulong StructureBarSize { get; }

    public int QueueCount => _queueVectors.Length;

    /// <summary>The device status as the driver last left it, with DEVICE_NEEDS_RESET when the transport set it.</summary>
    public VirtioDeviceStatus Status
    {
        get { lock (Config.Gate) { return _status; } }
    }

    /// <summary>Why the device last entered DEVICE_NEEDS_RESET, for the VM's log; kept across resets.</summary>
    public string? LastProblem { get; private set; }

    /// <summary>The BAR that holds the notify area (for the machine's ioeventfds).</summary>
    public static int NotifyBar => StructureBar;

    /// <summary>Where in <see cref="NotifyBar"/> the driver writes to notify queue <paramref name="queueIndex"/>.</summary>
    public ulong NotifyOffsetOf(int queueIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(queueIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(queueIndex, QueueCount);
        return NotifyOffset + NotifyOffMultiplier * (ulong)queueIndex;
    }

    /// <summary>The PCI class a virtio device type presents (QEMU's choices, so guests' quirks agree).</summary>
    public static PciClassCode ClassCodeFor(uint deviceType) => deviceType switch
    {
        1 => new PciClassCode(0x02, 0x00, 0x00), // network controller, Ethernet
        2 => new PciClassCode(0x01, 0x80, 0x00), // mass storage, other
        3 => new PciClassCode(0x07, 0x80, 0x00), // simple communication, other
        _ => new PciClassCode(0xFF, 0x00, 0x00), // no class fits
    };

    public override void ReadBar(int bar, ulong offset, Span<byte> data)
    {
        if (bar == MsixBar)
        {
            if (!Msix.TryRead(bar, offset, data))
            {
                data.Clear();
            }
            return;
        }
        data.Clear();
        if (bar != StructureBar || !IsRegisterWidth(data.Length) || offset >= StructureBarSize)
        {
            return;
        }
        lock (Config.Gate)
        {
            switch (offset)
            {
                case < IsrOffset:
                    ReadCommon((int)offset, data);
                    break;
                case < DeviceConfigOffset:
                    // Read to clear, and the INTx level follows it (virtio 1.2, 4.1.4.5).
                    if (offset == IsrOffset && data.Length == 1)
                    {
                        data[0] = _isr;
                        _isr = 0;
                        SetInterruptLevel(false);
                    }
                    break;
                case < NotifyOffset:
                    ulong within = offset - DeviceConfigOffset;
                    if (within < (ulong)_device.ConfigSize)
                    {
                        _device.ReadConfig(within, data);
                    }
                    break;
                default:
                    // The notify area is write-only.
                    break;
            }
        }
    }

    public override void WriteBar(int bar, ulong offset, ReadOnlySpan<byte> data)
    {
        if (bar == MsixBar)
        {
            Msix.TryWrite(bar, offset, data);
            return;
        }
        if (bar != StructureBar || !IsRegisterWidth(data.Length) || offset >= StructureBarSize)
        {
            return;
        }
        if (offset >= NotifyOffset)
        {
            // The written value is the queue index (no NOTIFICATION_DATA); the address alone says which queue.
            ulong within = offset - NotifyOffset;
            if (within % NotifyOffMultiplier == 0 && within / NotifyOffMultiplier < (ulong)QueueCount && data.Length <= 4)
            {
                Notify((int)(within / NotifyOffMultiplier));
            }
            return;
        }
        lock (Config.Gate)
        {
            if (offset < IsrOffset)
            {
                WriteCommon((int)offset, data);
            }
            else if (offset >= DeviceConfigOffset && offset - DeviceConfigOffset < (ulong)_device.ConfigSize && !_resetPending)
            {
                _device.WriteConfig(offset - DeviceConfigOffset, data);
            }
        }
    }

    /// <summary>
    /// The driver notified queue <paramref name="queueIndex"/> (an ioeventfd fired, or a notify
    /// write trapped). Runs the device's queue loop when the device is live (FEATURES_OK and
    /// DRIVER_OK, not failed, bus mastering on) and the queue enabled, then signals the queue's
    /// vector (or ISR + INTx), or enters DEVICE_NEEDS_RESET. Any thread; never throws for a guest's doing.
    /// </summary>
    public void Notify(int queueIndex)
    {
        lock (Config.Gate)
        {
            if (!CanProcess(queueIndex))
            {
                return;
            }
            _kickPending[queueIndex] = true;
            if (_processing)
            {
                // The thread that owns processing picks the kick up before it lets go.
                return;
            }
            _processing = true;
        }
        RunPendingQueues();
    }

    /// <summary>The device configuration changed (a resized disk, a console size): new generation, configuration interrupt.</summary>
    public void NotifyConfigChanged()
    {
        lock (Config.Gate)
        {
            _configGeneration++;
            if ((_status & VirtioDeviceStatus.DriverOk) != 0 && !_resetPending)
            {
                SignalConfigInterrupt();
            }
        }
    }

    private void RunPendingQueues()
    {
        bool released = false;
        try
        {
            int queue = -1;
            VirtqueueRunResult result = default;
            while (true)
            {
                lock (Config.Gate)
                {
                    if (queue >= 0 && !_resetPending)
                    {
                        ApplyResult(queue, result);
                    }
                    queue = TakePendingKick();
                    if (queue < 0)
                    {
                        Release();
                        released = true;
                        return;
                    }
                }
                result = _device.ProcessQueue(queue);
            }
        }
        finally
        {
            if (!released)
            {
                // The device threw (a monitor bug): let the exception reach the machine's worker, but
                // do not leave processing owned by nobody, or every later kick would be swallowed.
                lock (Config.Gate)
                {
                    Release();
                }
            }
        }
    }

    private void Release()
    {
        _processing = false;
        if (_resetPending)
        {
            ResetTransport();
        }
    }

    private int TakePendingKick()
    {
        if (_resetPending)
        {
            return -1;
        }
        // Round robin from the queue after the last one served, so a busy queue cannot starve another.
        for (int step = 0; step < _kickPending.Length; step++)
        {
            int queue = (_nextKick + step) % _kickPending.Length;
            if (!_kickPending[queue])
            {
                continue;
            }
            _kickPending[queue] = false;
            if (CanProcess(queue))
            {
                _nextKick = (queue + 1) % _kickPending.Length;
                return queue;
            }
        }
        return -1;
    }

    private bool CanProcess(int queueIndex)
    {
        const VirtioDeviceStatus live = VirtioDeviceStatus.FeaturesOk | VirtioDeviceStatus.DriverOk;
        return (uint)queueIndex < (uint)QueueCount
            && !_resetPending
            && (_status & live) == live
            && (_status & (VirtioDeviceStatus.DeviceNeedsReset | VirtioDeviceStatus.Failed)) == 0
            // Without bus mastering a real function can neither read the rings nor send MSIs.
            && (Config.Command & PciCommand.BusMaster) != 0
            && _device.Queues[queueIndex].IsReady;
    }

    private void ApplyResult(int queue, VirtqueueRunResult result)
    {
        if (result.InterruptNeeded)
        {
            SignalQueueInterrupt(queue);
        }
        if (result.NeedsReset)
        {
            EnterNeedsReset(result.Problem ?? $"queue {queue} failed");
        }
    }

    private void SignalQueueInterrupt(int queue)
    {
        if (Msix.Enabled)
        {
            // NO_VECTOR: the driver polls this queue or asked for no interrupt at all.
            if (_queueVectors[queue] != NoVector)
            {
                Msix.Signal(_queueVectors[queue]);
            }
            return;
        }
        _isr |= IsrQueueInterrupt;
        SetInterruptLevel(true);
    }

    private void SignalConfigInterrupt()
    {
        if (Msix.Enabled)
        {
            if (_configVector != NoVector)
            {
                Msix.Signal(_configVector);
            }
            return;
        }
        _isr |= IsrConfigInterrupt;
        SetInterruptLevel(true);
    }

    /// <summary>
    /// The driver broke something: DEVICE_NEEDS_RESET and a configuration change interrupt (virtio
    /// 1.2, 2.1.2). Sent even before DRIVER_OK: Linux holds it until it enables configuration
    /// interrupts, and a driver still setting up learns of the failure instead of hanging later.
    /// </summary>
    private void EnterNeedsReset(string problem)
    {
        if ((_status & VirtioDeviceStatus.DeviceNeedsReset) != 0)
        {
            return;
        }
        _status |= VirtioDeviceStatus.DeviceNeedsReset;
        LastProblem = problem;
        SignalConfigInterrupt();
    }

    /// <summary>Everything back to power-on state except the configuration generation, which only counts up.</summary>
    private void ResetTransport()
    {
        _device.Reset();
        foreach (var queue in _device.Queues)
        {
            queue.Reset();
        }
        _deviceFeatureSelect = _driverFeatureSelect = 0;
        _driverFeatures = 0;
        _status = VirtioDeviceStatus.None;
        _configVector = NoVector;
        Array.Fill(_queueVectors, NoVector);
        Array.Clear(_kickPending);
        _queueSelect = 0;
        _isr = 0;
        _resetPending = false;
        SetInterruptLevel(false);
    }

    private static bool IsRegisterWidth(int length) => length is 1 or 2 or 4 or 8;

    private static PciIdentity Identify(IVirtioDevice device, PciClassCode? classCode)
    {
        ArgumentNullException.ThrowIfNull(device);
        // Non-transitional device IDs span 0x1040..0x107F.
        if (device.DeviceType is 0 or > 0x3F)
        {
            throw new ArgumentException($"virtio device type {device.DeviceType} has no modern PCI device ID", nameof(device));
        }
        var deviceId = (ushort)(ModernDeviceIdBase + device.DeviceType);
        // The spec asks non-transitional devices for a subsystem ID of 0x40 or more; the device ID is one.
        return new PciIdentity(VendorId, deviceId, classCode ?? ClassCodeFor(device.DeviceType), Revision, VendorId, deviceId);
    }
}
