using System.Buffers.Binary;

namespace Turnstone.Devices.Pci;

/// <summary>
/// The MSI-X table and Pending Bit Array a function exposes inside its BARs: one 16-byte entry
/// per vector (message address low and high, data, vector control whose bit 0 masks it) and one
/// pending bit per vector. A masked vector's interrupt is held pending and delivered when the
/// vector, or the whole function, is unmasked. Guest accesses of any size and alignment are
/// accepted byte by byte (the spec only defines aligned dword and qword ones) so nothing a guest
/// does here can fault the monitor; the PBA is read-only.
/// Enable and Function Mask live in the capability's Message Control (see <see cref="MsixCapability"/>).
/// </summary>
public sealed class MsixTable
{
    public const int MaximumVectors = 2048;
    public const int EntrySize = 16;

    private const int VectorControl = 12;
    private const uint VectorMasked = 1;

    private readonly Lock _gate = new();
    private readonly byte[] _table;
    private readonly ulong[] _pending;
    private readonly IMsiSink _sink;
    private bool _enabled, _functionMasked;

    public MsixTable(int vectorCount, int tableBar, uint tableOffset, int pbaBar, uint pbaOffset, IMsiSink sink)
    {
        if (vectorCount is < 1 or > MaximumVectors)
        {
            throw new ArgumentOutOfRangeException(nameof(vectorCount), $"MSI-X supports 1..{MaximumVectors} vectors");
        }
        // The low three bits of the offset registers hold the BAR indicator, hence 8-byte alignment.
        if (tableBar is < 0 or >= PciConfigSpace.BarCount || pbaBar is < 0 or >= PciConfigSpace.BarCount
            || (tableOffset & 7) != 0 || (pbaOffset & 7) != 0)
        {
            throw new ArgumentException("MSI-X table and PBA need a BAR index 0..5 and an 8-byte aligned offset");
        }
        ArgumentNullException.ThrowIfNull(sink);
        VectorCount = vectorCount;
        TableBar = tableBar;
        TableOffset = tableOffset;
        PbaBar = pbaBar;
        PbaOffset = pbaOffset;
        _sink = sink;
        _table = new byte[vectorCount * EntrySize];
        _pending = new ulong[(vectorCount + 63) / 64];
        if (tableBar == pbaBar && tableOffset < pbaOffset + (ulong)PbaLength && pbaOffset < tableOffset + (ulong)TableLength)
        {
            throw new ArgumentException("the MSI-X table and PBA overlap");
        }
        // Every vector starts masked, so nothing fires before the driver programs it.
        for (int vector = 0; vector < vectorCount; vector++)
        {
            _table[vector * EntrySize + VectorControl] = (byte)VectorMasked;
        }
    }

    public int VectorCount { get; }
    public int TableBar { get; }
    public uint TableOffset { get; }
    public int PbaBar { get; }
    public uint PbaOffset { get; }
    public int TableLength => VectorCount * EntrySize;
    public int PbaLength => _pending.Length * 8;

    /// <summary>MSI-X Enable: while clear the function signals through INTx (if not disabled), not here.</summary>
    public bool Enabled
    {
        get { lock (_gate) { return _enabled; } }
    }

    public bool FunctionMasked
    {
        get { lock (_gate) { return _functionMasked; } }
    }

    /// <summary>Message Control changed (the capability calls this); unmasking delivers what is pending.</summary>
    public void SetControl(bool enabled, bool functionMasked)
    {
        List<MsiMessage> due;
        lock (_gate)
        {
            _enabled = enabled;
            _functionMasked = functionMasked;
            due = CollectDeliverable(0, VectorCount);
        }
        Deliver(due);
    }

    /// <summary>
    /// The function wants to interrupt on <paramref name="vector"/>. True with the message to send
    /// when it may; false when the vector is masked (it is then pending), when MSI-X is disabled
    /// or when the vector does not exist.
    /// </summary>
    public bool TrySignal(int vector, out MsiMessage message)
    {
        lock (_gate)
        {
            message = default;
            if (!_enabled || vector < 0 || vector >= VectorCount)
            {
                return false;
            }
            if (_functionMasked || IsMasked(vector))
            {
                _pending[vector / 64] |= 1ul << (vector % 64);
                return false;
            }
            message = EntryMessage(vector);
            return true;
        }
    }

    /// <summary><see cref="TrySignal"/>, delivering through the sink; false if nothing was sent.</summary>
    public bool Signal(int vector)
    {
        if (!TrySignal(vector, out var message))
        {
            return false;
        }
        _sink.Signal(message.Address, message.Data);
        return true;
    }

    public bool IsPending(int vector)
    {
        lock (_gate)
        {
            return vector >= 0 && vector < VectorCount && (_pending[vector / 64] & (1ul << (vector % 64))) != 0;
        }
    }

    public bool IsVectorMasked(int vector)
    {
        lock (_gate)
        {
            return vector < 0 || vector >= VectorCount || IsMasked(vector);
        }
    }

    /// <summary>The programmed address and data of a vector, whatever its mask says.</summary>
    public MsiMessage GetMessage(int vector)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(vector);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(vector, VectorCount);
        lock (_gate)
        {
            return EntryMessage(vector);
        }
    }

    /// <summary>
    /// A guest read at <paramref name="offset"/> in BAR <paramref name="bar"/>: true when it
    /// starts in the table or the PBA (bytes past their end read as zero), false when it is
    /// someone else's to answer.
    /// </summary>
    public bool TryRead(int bar, ulong offset, Span<byte> data)
    {
        lock (_gate)
        {
            if (Within(bar, offset, TableBar, TableOffset, TableLength, out int start))
            {
                for (int i = 0; i < data.Length; i++)
                {
                    data[i] = start + i < _table.Length ? _table[start + i] : (byte)0;
                }
                return true;
            }
            if (Within(bar, offset, PbaBar, PbaOffset, PbaLength, out start))
            {
                for (int i = 0; i < data.Length; i++)
                {
                    int at = start + i;
                    data[i] = at < PbaLength ? (byte)(_pending[at / 8] >> (at % 8 * 8)) : (byte)0;
                }
                return true;
            }
            return false;
        }
    }

    /// <summary>A guest write; true when it starts in the table or the PBA (whose writes are ignored).</summary>
    public bool TryWrite(int bar, ulong offset, ReadOnlySpan<byte> data)
    {
        List<MsiMessage> due;
        lock (_gate)
        {
            if (Within(bar, offset, PbaBar, PbaOffset, PbaLength, out _))
            {
                return true;
            }
            if (!Within(bar, offset, TableBar, TableOffset, TableLength, out int start))
            {
                return false;
            }
            int count = Math.Min(data.Length, _table.Length - start);
            for (int i = 0; i < count; i++)
            {
                int at = start + i;
                byte writable = WritableBits(at % EntrySize);
                _table[at] = (byte)((_table[at] & ~writable) | (data[i] & writable));
            }
            due = CollectDeliverable(start / EntrySize, (start + count - 1) / EntrySize + 1);
        }
        Deliver(due);
        return true;
    }

    // Address bits 1:0 are reserved (dword-aligned messages), vector control keeps only the mask.
    private static byte WritableBits(int byteInEntry) => byteInEntry switch
    {
        0 => 0xFC,
        < VectorControl => 0xFF,
        VectorControl => (byte)VectorMasked,
        _ => 0,
    };

    private static bool Within(int bar, ulong offset, int regionBar, uint regionOffset, int regionLength, out int start)
    {
        start = 0;
        if (bar != regionBar || offset < regionOffset || offset - regionOffset >= (ulong)regionLength)
        {
            return false;
        }
        start = (int)(offset - regionOffset);
        return true;
    }

    private bool IsMasked(int vector) =>
        (BinaryPrimitives.ReadUInt32LittleEndian(_table.AsSpan(vector * EntrySize + VectorControl)) & VectorMasked) != 0;

    private MsiMessage EntryMessage(int vector)
    {
        var entry = _table.AsSpan(vector * EntrySize, EntrySize);
        ulong address = BinaryPrimitives.ReadUInt32LittleEndian(entry)
            | (ulong)BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]) << 32;
        return new MsiMessage(address, BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]));
    }

    private List<MsiMessage> CollectDeliverable(int firstVector, int endVector)
    {
        var due = new List<MsiMessage>();
        if (!_enabled || _functionMasked)
        {
            return due;
        }
        for (int vector = firstVector; vector < endVector; vector++)
        {
            ulong bit = 1ul << (vector % 64);
            if ((_pending[vector / 64] & bit) != 0 && !IsMasked(vector))
            {
                _pending[vector / 64] &= ~bit;
                due.Add(EntryMessage(vector));
            }
        }
        return due;
    }

    // Outside the lock: the sink may take its time (an ioctl) or signal back into the device.
    private void Deliver(List<MsiMessage> due)
    {
        foreach (var message in due)
        {
            _sink.Signal(message.Address, message.Data);
        }
    }
}
