using Turnstone.GuestMemory;

namespace Turnstone.Devices.Virtio.Block;

/// <summary>
/// A virtio-blk device without a transport: the feature bits it offers, its configuration space, its
/// single request queue and the queue loop. A transport (virtio-pci) forwards feature negotiation,
/// configuration reads, queue registers and queue notifications here.
/// </summary>
public sealed class VirtioBlockDevice : IVirtioDevice
{
    private readonly VirtioBlockRequestHandler _handler;
    // One chain per queue, refilled by every pop: ProcessQueue handles a chain completely before it
    // pops the next, so reusing it saves an allocation per request.
    private readonly VirtqueueDescriptorChain[] _chains;
    private readonly AsyncRequestQueue? _async;

    /// <param name="asyncIo">When given, reads and writes are kept in flight on it (see
    /// <see cref="AsyncRequestQueue"/>); without it every request completes before the next is popped.</param>
    public VirtioBlockDevice(IGuestMemory memory, IBlockBackend backend, VirtioBlockOptions? options = null, IAsyncBlockIo? asyncIo = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(backend);
        options ??= new VirtioBlockOptions();
        if (options.QueueSize < 4)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "the request queue needs room for header, data and status");
        }
        _handler = new VirtioBlockRequestHandler(memory, backend, options);
        RequestQueue = new Virtqueue(memory, options.QueueSize);
        Queues = [RequestQueue];
        _chains = [new VirtqueueDescriptorChain(memory)];
        if (asyncIo is not null)
        {
            _async = new AsyncRequestQueue(RequestQueue, _handler, asyncIo, () => new VirtqueueDescriptorChain(memory));
        }

        ulong features = VirtioFeatures.Version1 | VirtioFeatures.IndirectDescriptors | VirtioFeatures.EventIndex
            | VirtioBlockFeatures.Flush | VirtioBlockFeatures.SegMax | VirtioBlockFeatures.BlockSize;
        if (backend.IsReadOnly)
        {
            features |= VirtioBlockFeatures.ReadOnly;
        }
        if (_handler.DiscardEnabled)
        {
            features |= VirtioBlockFeatures.Discard;
        }
        if (_handler.WriteZeroesEnabled)
        {
            features |= VirtioBlockFeatures.WriteZeroes;
        }
        OfferedFeatures = features;

        uint alignmentSectors = Math.Max(1, options.BlockSize / VirtioBlockProtocol.SectorSize);
        Config = new VirtioBlockConfig
        {
            Capacity = _handler.CapacitySectors,
            // Header and status take two descriptors of a chain that may not exceed the queue size.
            SegMax = (uint)options.QueueSize - 2,
            BlockSize = options.BlockSize,
            MaxDiscardSectors = _handler.DiscardEnabled ? options.MaxDiscardSectors : 0,
            MaxDiscardSegments = _handler.DiscardEnabled ? options.MaxDiscardSegments : 0,
            DiscardSectorAlignment = _handler.DiscardEnabled ? alignmentSectors : 0,
            MaxWriteZeroesSectors = _handler.WriteZeroesEnabled ? options.MaxWriteZeroesSectors : 0,
            MaxWriteZeroesSegments = _handler.WriteZeroesEnabled ? options.MaxWriteZeroesSegments : 0,
            WriteZeroesMayUnmap = false,
        };
    }

    public uint DeviceType => VirtioBlockProtocol.DeviceId;

    public ulong OfferedFeatures { get; }

    /// <summary>The features the driver accepted at FEATURES_OK; zero before that.</summary>
    public ulong AcceptedFeatures { get; private set; }

    public VirtioBlockConfig Config { get; }

    /// <summary>Queue 0, requestq1.</summary>
    public Virtqueue RequestQueue { get; }

    public IReadOnlyList<Virtqueue> Queues { get; }

    /// <summary>Set when the driver broke the protocol; cleared by <see cref="Reset"/>.</summary>
    public bool NeedsReset { get; private set; }

    /// <summary>
    /// The driver set FEATURES_OK with <paramref name="driverFeatures"/>. Refuses (the transport then
    /// leaves FEATURES_OK clear) features that were not offered and a driver without VERSION_1.
    /// On success the ring features are applied to the queues, which must not be enabled yet.
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

    public int ConfigSize => VirtioBlockConfig.Size;

    /// <summary>A driver read of the device-specific configuration.</summary>
    public void ReadConfig(ulong offset, Span<byte> data) => Config.Read(offset, data);

    /// <summary>Every field is read-only while VIRTIO_BLK_F_CONFIG_WCE is not offered (writeback is its only writable one).</summary>
    public void WriteConfig(ulong offset, ReadOnlySpan<byte> data)
    {
    }

    /// <summary>
    /// Never raised: every request arrives with the driver's notification, and a request in flight
    /// wakes the queue's owner through its <see cref="IAsyncBlockIo"/> (the machine signals the
    /// queue's worker), not through the transport.
    /// </summary>
    event Action<int>? IVirtioDevice.QueueWorkAvailable { add { } remove { } }

    /// <summary>Never raised: the capacity and the rest of the configuration are fixed for the device's life.</summary>
    event Action? IVirtioDevice.ConfigurationChanged { add { } remove { } }

    /// <summary>Requests started on the asynchronous engine and not yet returned to the guest.</summary>
    public int RequestsInFlight => _async?.InFlight ?? 0;

    /// <summary>
    /// The driver notified the queue, or a request in flight finished: return what finished and
    /// drain the queue (<see cref="AsyncRequestQueue.Run"/>, else <see cref="VirtqueueDrain.Run"/>).
    /// </summary>
    public VirtqueueRunResult ProcessQueue(int queueIndex = 0)
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
        var run = _async is not null
            ? _async.Run(queueIndex)
            : VirtqueueDrain.Run(queue, queueIndex, _chains[queueIndex], new RequestChains(_handler));
        NeedsReset |= run.NeedsReset;
        return run;
    }

    /// <summary>Every chain of the request queue is one request.</summary>
    private readonly struct RequestChains(VirtioBlockRequestHandler handler) : IVirtqueueChainHandler
    {
        public bool WantsChain => true;

        public VirtqueueChainOutcome Handle(VirtqueueDescriptorChain chain) => handler.Handle(chain);
    }

    /// <summary>
    /// The driver wrote 0 to the device status: wait for the requests in flight (their buffers are
    /// the guest's again only when the host is done with them), then forget features, queues and the failure.
    /// </summary>
    public void Reset()
    {
        _async?.Abandon();
        AcceptedFeatures = 0;
        NeedsReset = false;
        foreach (var queue in Queues)
        {
            queue.Reset();
        }
    }
}
