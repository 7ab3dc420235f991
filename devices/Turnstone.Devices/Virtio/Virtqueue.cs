using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Turnstone.GuestMemory;

namespace Turnstone.Devices.Virtio;

/// <summary>
/// The device side of a virtio 1.x split virtqueue, independent of the transport. The transport
/// writes the driver's queue registers into <see cref="Size"/> and the three ring addresses, sets
/// the negotiated ring features, and calls <see cref="TryEnable"/> when the driver enables the
/// queue. The device then runs the rust-vmm loop: <see cref="TryPopChain"/>, handle the request,
/// <see cref="AddUsed"/>, and raise the queue's interrupt when <see cref="NeedsNotification"/> says so.
/// </summary>
/// <remarks>
/// Not thread-safe: one thread (the device's queue worker) pops, adds used and decides
/// notifications; the transport must not reconfigure or reset the queue while that thread runs.
/// The driver runs concurrently on vCPUs, so every ring field is read when needed, never cached,
/// with the barriers the spec asks for between the reads and writes that order against the driver.
/// </remarks>
public sealed class Virtqueue
{
    /// <summary>The largest queue size a split virtqueue can have.</summary>
    public const ushort MaximumSize = 32768;

    /// <summary>VIRTQ_AVAIL_F_NO_INTERRUPT in the available ring's flags.</summary>
    public const ushort AvailableFlagNoInterrupt = 1;

    /// <summary>VIRTQ_USED_F_NO_NOTIFY in the used ring's flags.</summary>
    public const ushort UsedFlagNoNotify = 1;

    private readonly IGuestMemory _memory;
    private ushort _size;
    private ulong _descriptorTableAddress, _availableRingAddress, _usedRingAddress;
    private bool _eventIndexEnabled, _indirectDescriptorsEnabled;
    // The used index at the last notification decision under EVENT_IDX. It starts at the initial
    // used index, so the first decision follows the spec too (used_event 0 -> notify after entry 0).
    private ushort _signalledUsedIndex;

    public Virtqueue(IGuestMemory memory, ushort maxSize)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (maxSize == 0 || maxSize > MaximumSize || (maxSize & (maxSize - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxSize), maxSize, "a queue size is a power of two up to 32768");
        }
        _memory = memory;
        MaxSize = maxSize;
        _size = maxSize;
    }

    /// <summary>The largest size the device offers (the transport's queue_size register after reset).</summary>
    public ushort MaxSize { get; }

    /// <summary>The size the driver chose; checked by <see cref="TryEnable"/>. Writes to an enabled queue are ignored.</summary>
    public ushort Size
    {
        get => _size;
        set { if (!IsReady) _size = value; }
    }

    /// <summary>Guest-physical address of the descriptor table (the Descriptor Area).</summary>
    public ulong DescriptorTableAddress
    {
        get => _descriptorTableAddress;
        set { if (!IsReady) _descriptorTableAddress = value; }
    }

    /// <summary>Guest-physical address of the available ring (the Driver Area).</summary>
    public ulong AvailableRingAddress
    {
        get => _availableRingAddress;
        set { if (!IsReady) _availableRingAddress = value; }
    }

    /// <summary>Guest-physical address of the used ring (the Device Area).</summary>
    public ulong UsedRingAddress
    {
        get => _usedRingAddress;
        set { if (!IsReady) _usedRingAddress = value; }
    }

    /// <summary>VIRTIO_F_EVENT_IDX was negotiated: used_event / avail_event replace the flags.</summary>
    public bool EventIndexEnabled
    {
        get => _eventIndexEnabled;
        set { if (!IsReady) _eventIndexEnabled = value; }
    }

    /// <summary>VIRTIO_F_INDIRECT_DESC was negotiated: descriptors may point at indirect tables.</summary>
    public bool IndirectDescriptorsEnabled
    {
        get => _indirectDescriptorsEnabled;
        set { if (!IsReady) _indirectDescriptorsEnabled = value; }
    }

    /// <summary>The driver enabled the queue and its configuration passed validation.</summary>
    public bool IsReady { get; private set; }

    /// <summary>A ring-level fault seen while running (for example the available index jumping
    /// ahead by more than the queue size). Sticky until <see cref="Reset"/>: the queue stops
    /// producing chains and the device should set DEVICE_NEEDS_RESET.</summary>
    public VirtqueueError? Error { get; private set; }

    /// <summary>The free-running available index the device will consume next (last_avail_idx).</summary>
    public ushort NextAvailableIndex { get; private set; }

    /// <summary>The free-running used index the device will publish next.</summary>
    public ushort NextUsedIndex { get; private set; }

    private ulong AvailableIndexAddress => _availableRingAddress + 2;
    private ulong UsedEventAddress => _availableRingAddress + 4 + 2UL * _size;
    private ulong UsedIndexAddress => _usedRingAddress + 2;
    private ulong AvailableEventAddress => _usedRingAddress + 4 + 8UL * _size;

    public static int DescriptorTableBytes(ushort size) => VirtqueueDescriptorChain.DescriptorSize * size;
    public static int AvailableRingBytes(ushort size) => 6 + 2 * size;
    public static int UsedRingBytes(ushort size) => 6 + 8 * size;

    /// <summary>
    /// The driver wrote 1 to queue_enable: checks the size, the alignment of the three areas and that
    /// each lies inside guest RAM. On failure the queue stays disabled and the device should set
    /// DEVICE_NEEDS_RESET; <paramref name="error"/> only means something when this returns false.
    /// Enabling resets both ring indices to 0, as the driver's freshly initialised rings expect.
    /// </summary>
    public bool TryEnable(out VirtqueueError error)
    {
        if (IsReady)
        {
            error = default;
            return true;
        }
        if (_size == 0 || _size > MaxSize || (_size & (_size - 1)) != 0)
        {
            error = VirtqueueError.InvalidQueueSize;
            return false;
        }
        if (_descriptorTableAddress % 16 != 0 || _availableRingAddress % 2 != 0 || _usedRingAddress % 4 != 0)
        {
            error = VirtqueueError.MisalignedRing;
            return false;
        }
        if (!_memory.TryGetSpan(_descriptorTableAddress, DescriptorTableBytes(_size), out _)
            || !_memory.TryGetSpan(_availableRingAddress, AvailableRingBytes(_size), out _)
            || !_memory.TryGetSpan(_usedRingAddress, UsedRingBytes(_size), out _))
        {
            error = VirtqueueError.RingOutOfRange;
            return false;
        }
        NextAvailableIndex = 0;
        NextUsedIndex = 0;
        _signalledUsedIndex = 0;
        Error = null;
        IsReady = true;
        error = default;
        return true;
    }

    /// <summary>Back to the state after a device reset: disabled, maximum size, addresses and indices zero.</summary>
    public void Reset()
    {
        IsReady = false;
        _size = MaxSize;
        _descriptorTableAddress = _availableRingAddress = _usedRingAddress = 0;
        _eventIndexEnabled = _indirectDescriptorsEnabled = false;
        NextAvailableIndex = 0;
        NextUsedIndex = 0;
        _signalledUsedIndex = 0;
        Error = null;
    }

    /// <summary>True when the driver has made chains available that the device has not popped yet.</summary>
    public bool HasAvailable()
    {
        if (!IsReady || Error is not null || !TryReadUInt16(AvailableIndexAddress, out ushort availableIndex))
        {
            return false;
        }
        return availableIndex != NextAvailableIndex;
    }

    /// <summary>
    /// Takes the next chain from the available ring. Returns false when the queue is not ready, has
    /// failed (<see cref="Error"/>) or holds nothing new. A chain that is returned may still be broken
    /// (<see cref="VirtqueueDescriptorChain.Error"/>): its head was consumed either way.
    /// </summary>
    public bool TryPopChain([MaybeNullWhen(false)] out VirtqueueDescriptorChain chain)
    {
        if (!TryPopHead(out ushort headIndex))
        {
            chain = null;
            return false;
        }
        chain = VirtqueueDescriptorChain.Walk(_memory, _descriptorTableAddress, _size, headIndex, _indirectDescriptorsEnabled);
        return true;
    }

    /// <summary>
    /// <see cref="TryPopChain"/> into a chain the caller owns and reuses, so that a worker handling
    /// one chain at a time allocates nothing per chain. What <paramref name="chain"/> held before is
    /// replaced (also when the new chain is broken); when this returns false it is left as it was.
    /// </summary>
    public bool TryPopChainInto(VirtqueueDescriptorChain chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        // The segments are validated against, and later read and written through, the chain's memory.
        if (!ReferenceEquals(chain.Memory, _memory))
        {
            throw new ArgumentException("the chain was made for another guest memory than this queue's", nameof(chain));
        }
        if (!TryPopHead(out ushort headIndex))
        {
            return false;
        }
        chain.Refill(_descriptorTableAddress, _size, headIndex, _indirectDescriptorsEnabled);
        return true;
    }

    /// <summary>Consumes the next available ring entry: its head index, not yet walked.</summary>
    private bool TryPopHead(out ushort headIndex)
    {
        headIndex = 0;
        if (!IsReady || Error is not null)
        {
            return false;
        }
        if (!TryReadUInt16(AvailableIndexAddress, out ushort availableIndex))
        {
            Error = VirtqueueError.RingOutOfRange;
            return false;
        }
        // Indices are free-running 16-bit counters: the distance is taken modulo 2^16, so 65535 -> 0
        // is one step. More than a ring's worth outstanding means the index is garbage.
        ushort pending = (ushort)(availableIndex - NextAvailableIndex);
        if (pending == 0)
        {
            return false;
        }
        if (pending > _size)
        {
            Error = VirtqueueError.AvailableIndexOutOfRange;
            return false;
        }
        // Acquire: the ring entry and the descriptors it names were written before the driver
        // published idx; read them only after reading idx.
        Interlocked.MemoryBarrier();
        ulong slotAddress = _availableRingAddress + 4 + 2UL * (ushort)(NextAvailableIndex & (_size - 1));
        if (!TryReadUInt16(slotAddress, out headIndex))
        {
            Error = VirtqueueError.RingOutOfRange;
            return false;
        }
        NextAvailableIndex++;
        return true;
    }

    /// <summary>
    /// Returns a chain to the driver: writes (id, len) into the next used slot, then publishes the
    /// used index. <paramref name="bytesWritten"/> is how many bytes the device wrote, counted from the
    /// start of the chain's writable part. Returns false (and writes nothing) when the queue is not
    /// ready or has failed, or when <paramref name="headIndex"/> is not a valid descriptor index.
    /// </summary>
    public bool AddUsed(ushort headIndex, uint bytesWritten)
    {
        if (!IsReady || Error is not null || headIndex >= _size)
        {
            return false;
        }
        ulong elementAddress = _usedRingAddress + 4 + 8UL * (ushort)(NextUsedIndex & (_size - 1));
        if (!_memory.TryGetSpan(elementAddress, 8, out var element))
        {
            Error = VirtqueueError.RingOutOfRange;
            return false;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(element, headIndex);
        BinaryPrimitives.WriteUInt32LittleEndian(element[4..], bytesWritten);
        // Release: the element must be visible before the index that exposes it.
        Interlocked.MemoryBarrier();
        NextUsedIndex++;
        if (!TryWriteUInt16(UsedIndexAddress, NextUsedIndex))
        {
            Error = VirtqueueError.RingOutOfRange;
            return false;
        }
        return true;
    }

    /// <summary>
    /// Whether the driver wants a used buffer notification (an interrupt) for the chains added since
    /// the last decision. With EVENT_IDX: vring_need_event(used_event, new used idx, used idx at the last
    /// decision). Without: unless the driver set VIRTQ_AVAIL_F_NO_INTERRUPT. Call after
    /// <see cref="AddUsed"/> (once per batch is enough).
    /// </summary>
    public bool NeedsNotification()
    {
        if (!IsReady || Error is not null)
        {
            return false;
        }
        // The used idx store must be globally visible before we read the driver's suppression
        // fields, or both sides can decide "the other one will see it" and lose an interrupt.
        Interlocked.MemoryBarrier();
        if (_eventIndexEnabled)
        {
            if (!TryReadUInt16(UsedEventAddress, out ushort usedEvent))
            {
                Error = VirtqueueError.RingOutOfRange;
                return false;
            }
            ushort newIndex = NextUsedIndex;
            ushort oldIndex = _signalledUsedIndex;
            _signalledUsedIndex = newIndex;
            return VringNeedEvent(usedEvent, newIndex, oldIndex);
        }
        if (!TryReadUInt16(_availableRingAddress, out ushort flags))
        {
            Error = VirtqueueError.RingOutOfRange;
            return false;
        }
        return (flags & AvailableFlagNoInterrupt) == 0;
    }

    /// <summary>
    /// The spec's vring_need_event: true when <paramref name="eventIndex"/> lies in the window of
    /// indices published since the last notification, (old, new], all modulo 2^16.
    /// </summary>
    public static bool VringNeedEvent(ushort eventIndex, ushort newIndex, ushort oldIndex) =>
        (ushort)(newIndex - eventIndex - 1) < (ushort)(newIndex - oldIndex);

    /// <summary>
    /// Asks the driver not to notify while the device is draining the queue: sets
    /// VIRTQ_USED_F_NO_NOTIFY. Under EVENT_IDX nothing is written: avail_event stays behind the
    /// driver's index, which already stops its notifications.
    /// </summary>
    public void DisableNotifications()
    {
        if (!IsReady || Error is not null || _eventIndexEnabled)
        {
            return;
        }
        if (!TryWriteUInt16(_usedRingAddress, UsedFlagNoNotify))
        {
            Error = VirtqueueError.RingOutOfRange;
        }
    }

    /// <summary>
    /// Asks the driver to notify again: avail_event = the next index the device will consume under
    /// EVENT_IDX, otherwise clears VIRTQ_USED_F_NO_NOTIFY. Returns true when chains became available
    /// meanwhile; the device must then keep popping, because the driver may have checked the
    /// suppression before this call and not notified.
    /// </summary>
    public bool EnableNotifications()
    {
        if (!IsReady || Error is not null)
        {
            return false;
        }
        bool written = _eventIndexEnabled
            ? TryWriteUInt16(AvailableEventAddress, NextAvailableIndex)
            : TryWriteUInt16(_usedRingAddress, 0);
        if (!written)
        {
            Error = VirtqueueError.RingOutOfRange;
            return false;
        }
        // The store above must be visible before the re-read of avail idx (store-load ordering).
        Interlocked.MemoryBarrier();
        return HasAvailable();
    }

    private bool TryReadUInt16(ulong address, out ushort value)
    {
        if (_memory.TryGetSpan(address, 2, out var span))
        {
            value = BinaryPrimitives.ReadUInt16LittleEndian(span);
            return true;
        }
        value = 0;
        return false;
    }

    private bool TryWriteUInt16(ulong address, ushort value)
    {
        if (_memory.TryGetSpan(address, 2, out var span))
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span, value);
            return true;
        }
        return false;
    }
}
