using System.Buffers.Binary;
using System.Numerics;

namespace Turnstone.Devices.Pci;

/// <summary>
/// Base Address Registers. A BAR's size is encoded in its writable mask: the guest can only set
/// address bits at or above the size, so writing all ones and reading back yields the size mask
/// with the read-only type bits (I/O, 64-bit, prefetchable), which is the sizing protocol.
/// Decoding follows the Command register's I/O and memory enables; every change in where a BAR
/// decodes is reported through <see cref="BarMappingChanged"/>.
/// </summary>
public sealed partial class PciConfigSpace
{
    public const int BarCount = 6;

    /// <summary>The spec's smallest memory BAR; I/O BARs may be as small as 4 bytes and at most 256.</summary>
    public const ulong MinimumMemoryBarSize = 16, MinimumIoBarSize = 4, MaximumIoBarSize = 256;

    private const uint IoSpaceIndicator = 0x1, Memory64Type = 0x4, PrefetchableBit = 0x8;
    private const uint MemoryAddressMask = 0xFFFF_FFF0, IoAddressMask = 0xFFFC;

    private readonly BarDefinition?[] _bars = new BarDefinition?[BarCount];
    private readonly bool[] _upperHalf = new bool[BarCount];
    private readonly PciBarMapping[] _reported = new PciBarMapping[BarCount];

    private sealed record BarDefinition(PciBarKind Kind, ulong Size, bool Prefetchable);

    /// <summary>
    /// Raised (under the function's lock, in order) when a BAR starts or stops decoding or moves
    /// while decoding. Moves of a BAR that decodes neither before nor after are not reported:
    /// that is what sizing with decode off looks like.
    /// </summary>
    public event Action<PciBarMappingChange>? BarMappingChanged;

    /// <summary>Every defined BAR with its current address, enabled when the function decodes it.</summary>
    public IReadOnlyList<PciBarMapping> BarMappings
    {
        get
        {
            lock (Gate)
            {
                var mappings = new List<PciBarMapping>();
                for (int index = 0; index < BarCount; index++)
                {
                    if (_bars[index] is not null)
                    {
                        mappings.Add(CurrentMapping(index));
                    }
                }
                return mappings;
            }
        }
    }

    /// <summary>Declares BAR <paramref name="index"/> (a 64-bit one also takes <paramref name="index"/>+1).</summary>
    public void DefineBar(int index, PciBarKind kind, ulong size, bool prefetchable = false)
    {
        if (index is < 0 or >= BarCount || (kind == PciBarKind.Memory64 && index == BarCount - 1))
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"no room for a {kind} BAR at index {index}");
        }
        if (!BitOperations.IsPow2(size))
        {
            throw new ArgumentException($"BAR size 0x{size:x} is not a power of two", nameof(size));
        }
        switch (kind)
        {
            case PciBarKind.Io when size is < MinimumIoBarSize or > MaximumIoBarSize:
                throw new ArgumentException($"I/O BAR size 0x{size:x} outside 4..256 bytes", nameof(size));
            case PciBarKind.Io when prefetchable:
                throw new ArgumentException("I/O BARs cannot be prefetchable", nameof(prefetchable));
            case PciBarKind.Memory32 when size is < MinimumMemoryBarSize or > 1ul << 31:
            case PciBarKind.Memory64 when size < MinimumMemoryBarSize || size > 1ul << 63:
                throw new ArgumentException($"{kind} BAR size 0x{size:x} is out of range", nameof(size));
        }

        lock (Gate)
        {
            bool wide = kind == PciBarKind.Memory64;
            if (IsTaken(index) || (wide && IsTaken(index + 1)))
            {
                throw new InvalidOperationException($"BAR{index} is already defined");
            }
            _bars[index] = new BarDefinition(kind, size, prefetchable);
            ulong addressMask = ~(size - 1);
            uint typeBits = kind switch
            {
                PciBarKind.Io => IoSpaceIndicator,
                PciBarKind.Memory64 => Memory64Type | (prefetchable ? PrefetchableBit : 0),
                _ => prefetchable ? PrefetchableBit : 0,
            };
            uint lowMask = (uint)addressMask & (kind == PciBarKind.Io ? IoAddressMask : MemoryAddressMask);
            WriteRaw(BarOffset(index), typeBits, lowMask);
            if (wide)
            {
                _upperHalf[index + 1] = true;
                WriteRaw(BarOffset(index + 1), 0, (uint)(addressMask >> 32));
            }
            _reported[index] = CurrentMapping(index);
        }
    }

    public bool TryGetBar(int index, out PciBarMapping mapping)
    {
        lock (Gate)
        {
            if (index is >= 0 and < BarCount && _bars[index] is not null)
            {
                mapping = CurrentMapping(index);
                return true;
            }
            mapping = default;
            return false;
        }
    }

    /// <summary>The monitor places a BAR, as firmware would before the guest runs.</summary>
    public void SetBarAddress(int index, ulong address)
    {
        lock (Gate)
        {
            var bar = index is >= 0 and < BarCount ? _bars[index] : null;
            if (bar is null)
            {
                throw new ArgumentOutOfRangeException(nameof(index), $"BAR{index} is not defined");
            }
            ulong limit = bar.Kind switch { PciBarKind.Io => 0x1_0000, PciBarKind.Memory32 => 1ul << 32, _ => 0 };
            if ((address & (bar.Size - 1)) != 0 || (limit != 0 && address + bar.Size > limit) || address + bar.Size < address)
            {
                throw new ArgumentException($"0x{address:x} is not a valid place for {bar.Kind} BAR{index} of 0x{bar.Size:x} bytes", nameof(address));
            }
            int offset = BarOffset(index);
            uint low = BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(offset));
            uint addressBits = bar.Kind == PciBarKind.Io ? IoAddressMask : MemoryAddressMask;
            BinaryPrimitives.WriteUInt32LittleEndian(_bytes.AsSpan(offset), (low & ~addressBits) | ((uint)address & addressBits));
            if (bar.Kind == PciBarKind.Memory64)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(_bytes.AsSpan(offset + 4), (uint)(address >> 32));
            }
            RefreshBarMappings();
        }
    }

    private bool IsTaken(int index) => _bars[index] is not null || _upperHalf[index];

    private static int BarOffset(int index) => PciConfigRegisters.Bar0 + index * 4;

    private void WriteRaw(int offset, uint value, uint writable)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_bytes.AsSpan(offset), value);
        BinaryPrimitives.WriteUInt32LittleEndian(_writable.AsSpan(offset), writable);
    }

    private PciBarMapping CurrentMapping(int index)
    {
        var bar = _bars[index]!;
        int offset = BarOffset(index);
        uint low = BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(offset));
        ulong address = bar.Kind switch
        {
            PciBarKind.Io => low & IoAddressMask,
            PciBarKind.Memory32 => low & MemoryAddressMask,
            _ => (low & MemoryAddressMask) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(offset + 4)) << 32),
        };
        var command = (PciCommand)BinaryPrimitives.ReadUInt16LittleEndian(_bytes.AsSpan(PciConfigRegisters.Command));
        bool decodes = (command & (bar.Kind == PciBarKind.Io ? PciCommand.IoSpace : PciCommand.MemorySpace)) != 0;
        // Address 0 means "unassigned" to firmware and Linux; decoding there would shadow low RAM or
        // legacy ports. A range that wraps the address space cannot be mapped either.
        bool enabled = decodes && address != 0 && address + bar.Size > address;
        return new PciBarMapping(index, bar.Kind, address, bar.Size, bar.Prefetchable, enabled);
    }

    private void RefreshBarMappings()
    {
        for (int index = 0; index < BarCount; index++)
        {
            if (_bars[index] is null)
            {
                continue;
            }
            var previous = _reported[index];
            var current = CurrentMapping(index);
            if (previous == current)
            {
                continue;
            }
            _reported[index] = current;
            if (previous.Enabled || current.Enabled)
            {
                BarMappingChanged?.Invoke(new PciBarMappingChange(previous, current));
            }
        }
    }
}
