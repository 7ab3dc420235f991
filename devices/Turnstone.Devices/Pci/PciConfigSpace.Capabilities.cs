namespace Turnstone.Devices.Pci;

/// <summary>
/// The standard capability list: a chain of (ID, next pointer, body) structures starting at the
/// Capabilities Pointer (0x34), placed by the monitor from 0x40 upwards on dword boundaries.
/// The ID and next pointer are read-only; the body's guest masks are the caller's.
/// </summary>
public sealed partial class PciConfigSpace
{
    private int _nextCapability = PciConfigRegisters.HeaderEnd;
    private int _lastCapability;

    /// <summary>
    /// Appends a capability. <paramref name="body"/> is what follows the two-byte header;
    /// <paramref name="writable"/> and <paramref name="clearOnWrite"/> (empty for read-only)
    /// cover the body. Returns the capability's offset.
    /// </summary>
    public int AddCapability(byte id, ReadOnlySpan<byte> body, ReadOnlySpan<byte> writable = default,
        ReadOnlySpan<byte> clearOnWrite = default)
    {
        if (writable.Length > body.Length || clearOnWrite.Length > body.Length)
        {
            throw new ArgumentException("capability masks are longer than its body");
        }
        lock (Gate)
        {
            int offset = _nextCapability;
            int length = 2 + body.Length;
            if (offset + length > PciConfigRegisters.ExtendedStart)
            {
                throw new InvalidOperationException($"capability 0x{id:x2} of {length} bytes does not fit below 0x100");
            }
            _bytes[offset] = id;
            _bytes[offset + 1] = 0;
            body.CopyTo(_bytes.AsSpan(offset + 2));
            writable.CopyTo(_writable.AsSpan(offset + 2));
            clearOnWrite.CopyTo(_clearOnWrite.AsSpan(offset + 2));

            // Bits 1:0 of every pointer are reserved, hence the dword alignment.
            _bytes[_lastCapability == 0 ? PciConfigRegisters.CapabilitiesPointer : _lastCapability + 1] = (byte)offset;
            _bytes[PciConfigRegisters.Status] |= (byte)PciStatus.CapabilitiesList;
            _lastCapability = offset;
            _nextCapability = (offset + length + 3) & ~3;
            return offset;
        }
    }

    /// <summary>
    /// The capability list as a guest walks it, stopping at a repeated or out-of-range pointer
    /// (the list is the monitor's, but the walk must terminate whatever the bytes say).
    /// </summary>
    public IReadOnlyList<(byte Id, int Offset)> Capabilities
    {
        get
        {
            lock (Gate)
            {
                var found = new List<(byte, int)>();
                var seen = new HashSet<int>();
                int pointer = _bytes[PciConfigRegisters.CapabilitiesPointer] & ~3;
                while (pointer >= PciConfigRegisters.HeaderEnd && pointer < PciConfigRegisters.ExtendedStart && seen.Add(pointer))
                {
                    found.Add((_bytes[pointer], pointer));
                    pointer = _bytes[pointer + 1] & ~3;
                }
                return found;
            }
        }
    }
}
