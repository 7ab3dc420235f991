using Turnstone.GuestMemory;

namespace Turnstone.Devices.Virtio.Console;

/// <summary>
/// A single-port virtio-console device (the guest's hvc0) without a transport: feature bits,
/// configuration space, receiveq and transmitq, and the queue loop. Guest output goes to a host
/// <see cref="Stream"/>; host input is queued with <see cref="EnqueueInput"/> and delivered into the
/// receive buffers the driver posts.
/// </summary>
/// <remarks>
/// <para>Wiring. The transport forwards feature negotiation, configuration accesses, queue registers and
/// notifications here, like for virtio-blk. Two host events go back into the transport, which
/// subscribes to them itself: <see cref="QueueWorkAvailable"/> runs the receive queue on the
/// transport's processing thread with its interrupt logic, and <see cref="ConfigurationChanged"/>
/// sends a configuration change notification.</para>
/// <para>Host input survives <see cref="Reset"/>: what the user typed while the guest rebinds its
/// driver (or before it first did) is delivered once receive buffers appear, as a terminal would.</para>
/// </remarks>
public sealed class VirtioConsoleDevice : IVirtioDevice
{
    private readonly VirtioConsoleInputBuffer _input;
    private readonly VirtioConsoleChainHandler _handler;
    // One reusable chain per queue: a queue is processed by one thread at a time (the transport's
    // contract), so popping into it allocates nothing per buffer.
    private readonly VirtqueueDescriptorChain[] _chains;

    public VirtioConsoleDevice(IGuestMemory memory, Stream output, VirtioConsoleOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(output);
        options ??= new VirtioConsoleOptions();
        _input = new VirtioConsoleInputBuffer(options.InputBufferCapacity);
        _handler = new VirtioConsoleChainHandler(memory, output, _input);
        ReceiveQueue = new Virtqueue(memory, options.QueueSize);
        TransmitQueue = new Virtqueue(memory, options.QueueSize);
        Queues = [ReceiveQueue, TransmitQueue];
        _chains = [new VirtqueueDescriptorChain(memory), new VirtqueueDescriptorChain(memory)];
        Config = new VirtioConsoleConfig(options.InitialSize ?? default);

        ulong features = VirtioFeatures.Version1 | VirtioFeatures.IndirectDescriptors | VirtioFeatures.EventIndex;
        if (options.InitialSize is not null)
        {
            features |= VirtioConsoleFeatures.Size;
        }
        if (options.EnableEmergencyWrite)
        {
            features |= VirtioConsoleFeatures.EmergencyWrite;
        }
        OfferedFeatures = features;
    }

    /// <summary>
    /// Host input was queued for the receive queue (the argument is its index). Raised on the thread
    /// that called <see cref="EnqueueInput"/>, after the bytes are in the buffer and outside every lock
    /// of this device, so the handler may run the receive queue right there.
    /// </summary>
    public event Action<int>? QueueWorkAvailable;

    /// <summary>The terminal size changed (<see cref="Resize"/>): the transport should bump the configuration
    /// generation and interrupt. Raised on the resizing thread, outside every lock of this device.</summary>
    public event Action? ConfigurationChanged;

    public uint DeviceType => VirtioConsoleProtocol.DeviceId;

    public ulong OfferedFeatures { get; }

    /// <summary>The features the driver accepted at FEATURES_OK; zero before that.</summary>
    public ulong AcceptedFeatures { get; private set; }

    public VirtioConsoleConfig Config { get; }

    /// <summary>Queue 0, receiveq of port 0 (host to guest).</summary>
    public Virtqueue ReceiveQueue { get; }

    /// <summary>Queue 1, transmitq of port 0 (guest to host).</summary>
    public Virtqueue TransmitQueue { get; }

    public IReadOnlyList<Virtqueue> Queues { get; }

    /// <summary>Set when the driver broke the protocol; cleared by <see cref="Reset"/>.</summary>
    public bool NeedsReset { get; private set; }

    /// <summary>Host input not yet delivered to the guest.</summary>
    public int PendingInputBytes => _input.Count;

    /// <summary>Guest output lost because the host stream failed with an I/O error.</summary>
    public long DroppedOutputBytes => _handler.DroppedOutputBytes;

    /// <summary>
    /// Queues host input for the guest; any thread. Returns how many bytes were taken: fewer than
    /// <paramref name="input"/> holds when the bounded buffer is full (the newest bytes are refused, see
    /// <see cref="VirtioConsoleInputBuffer"/>), so a caller feeding a large paste can offer the rest later.
    /// </summary>
    public int EnqueueInput(ReadOnlySpan<byte> input)
    {
        int taken = _input.Append(input);
        if (taken > 0)
        {
            QueueWorkAvailable?.Invoke(VirtioConsoleProtocol.ReceiveQueueIndex);
        }
        return taken;
    }

    /// <summary>Reports a new terminal size. Only possible when <see cref="VirtioConsoleOptions.InitialSize"/> was set.</summary>
    public void Resize(VirtioConsoleSize size)
    {
        if ((OfferedFeatures & VirtioConsoleFeatures.Size) == 0)
        {
            throw new InvalidOperationException("VIRTIO_CONSOLE_F_SIZE is not offered: give the console an initial size");
        }
        if (Config.Size == size)
        {
            return;
        }
        Config.Size = size;
        ConfigurationChanged?.Invoke();
    }

    /// <summary>
    /// The driver set FEATURES_OK with <paramref name="driverFeatures"/>. Refuses features that were not
    /// offered and a driver without VERSION_1. On success the ring features are applied to the queues,
    /// which must not be enabled yet.
    /// </summary>
    public bool AcceptFeatures(ulong driverFeatures)
    {
        if ((driverFeatures & ~OfferedFeatures) != 0 || (driverFeatures & VirtioFeatures.Version1) == 0)
        {
            return false;
        }
        AcceptedFeatures = driverFeatures;
        foreach (var queue in Queues)
        {
            queue.EventIndexEnabled = (driverFeatures & VirtioFeatures.EventIndex) != 0;
            queue.IndirectDescriptorsEnabled = (driverFeatures & VirtioFeatures.IndirectDescriptors) != 0;
        }
        return true;
    }

    public int ConfigSize => VirtioConsoleProtocol.ConfigSize;

    /// <summary>A driver read of the device-specific configuration.</summary>
    public void ReadConfig(ulong offset, Span<byte> data) => Config.Read(offset, data);

    /// <summary>
    /// A driver write to the device-specific configuration. Only emerg_wr is writable, and only while
    /// VIRTIO_CONSOLE_F_EMERG_WRITE is offered; the spec lets a driver use it before negotiating
    /// features, so early boot code can print through it.
    /// </summary>
    public void WriteConfig(ulong offset, ReadOnlySpan<byte> data)
    {
        if ((OfferedFeatures & VirtioConsoleFeatures.EmergencyWrite) != 0
            && VirtioConsoleConfig.TryGetEmergencyCharacter(offset, data, out byte character))
        {
            _handler.WriteEmergencyCharacter(character);
        }
    }

    /// <summary>
    /// The driver notified a queue, or host input arrived for the receive queue: drain it with the
    /// rust-vmm loop (suppress notifications, pop, handle, add used, decide on an interrupt per batch,
    /// re-enable and go round again if the driver added chains meanwhile). The receive queue only pops
    /// while input is pending, so receive buffers are never consumed empty; leftover buffers wait for
    /// the next <see cref="EnqueueInput"/>. A receive pass is bounded by the input buffer; a transmit pass,
    /// as for virtio-blk, runs for as long as the driver keeps publishing chains while it drains.
    /// </summary>
    public VirtqueueRunResult ProcessQueue(int queueIndex)
    {
        if ((uint)queueIndex >= (uint)Queues.Count)
        {
            return new(0, false, false, $"queue {queueIndex} does not exist");
        }
        var queue = Queues[queueIndex];
        if (NeedsReset || !queue.IsReady)
        {
            return new(0, false, NeedsReset, null);
        }
        bool isReceive = queueIndex == VirtioConsoleProtocol.ReceiveQueueIndex;
        var run = VirtqueueDrain.Run(queue, queueIndex, _chains[queueIndex], new PortChains(_handler, _input, isReceive));
        NeedsReset |= run.NeedsReset;
        if (!isReceive && run.Completed > 0)
        {
            _handler.FlushOutput();
        }
        return run;
    }

    /// <summary>Port 0's chains: receive buffers are taken only while host input waits, transmit buffers always.</summary>
    private readonly struct PortChains(VirtioConsoleChainHandler handler, VirtioConsoleInputBuffer input, bool isReceive) : IVirtqueueChainHandler
    {
        public bool WantsChain => !isReceive || input.Count > 0;

        public VirtqueueChainOutcome Handle(VirtqueueDescriptorChain chain) =>
            isReceive ? handler.HandleReceive(chain) : handler.HandleTransmit(chain);
    }

    /// <summary>
    /// The driver wrote 0 to the device status: forget features, queues and the failure. Pending host
    /// input and the terminal size are host state and stay.
    /// </summary>
    public void Reset()
    {
        AcceptedFeatures = 0;
        NeedsReset = false;
        foreach (var queue in Queues)
        {
            queue.Reset();
        }
    }
}
