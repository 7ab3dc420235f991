using System.Buffers.Binary;

namespace Turnstone.Devices.Virtio.Console;

/// <summary>
/// struct virtio_console_config (virtio 1.2, 5.3.4) for a single-port console. vCPU threads read it
/// while a host thread may resize the terminal, so the size is one 32-bit word swapped atomically:
/// a driver never sees the new columns with the old rows.
/// </summary>
public sealed class VirtioConsoleConfig
{
    // Columns in the low half, rows in the high half: the same order the two fields have in the layout.
    private uint _packedSize;

    public VirtioConsoleConfig(VirtioConsoleSize size) => Size = size;

    /// <summary>cols and rows; only meaningful to a driver when VIRTIO_CONSOLE_F_SIZE is offered.</summary>
    public VirtioConsoleSize Size
    {
        get
        {
            uint packed = Volatile.Read(ref _packedSize);
            return new VirtioConsoleSize((ushort)packed, (ushort)(packed >> 16));
        }
        set => Volatile.Write(ref _packedSize, value.Columns | (uint)value.Rows << 16);
    }

    /// <summary>
    /// max_nr_ports: only valid with VIRTIO_CONSOLE_F_MULTIPORT, which is never offered. Reads as the one
    /// port there is rather than zero, so a driver that looks anyway is not misled.
    /// </summary>
    public static uint MaxPorts => 1;

    /// <summary>
    /// A driver read at any offset and width; bytes past the end read as zero, and so does emerg_wr,
    /// which is write-only.
    /// </summary>
    public void Read(ulong offset, Span<byte> data)
    {
        Span<byte> bytes = stackalloc byte[VirtioConsoleProtocol.ConfigSize];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[VirtioConsoleProtocol.ColumnsOffset..], Volatile.Read(ref _packedSize));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[VirtioConsoleProtocol.MaxPortsOffset..], MaxPorts);
        data.Clear();
        if (offset >= VirtioConsoleProtocol.ConfigSize)
        {
            return;
        }
        var available = bytes[(int)offset..];
        available[..Math.Min(available.Length, data.Length)].CopyTo(data);
    }

    /// <summary>
    /// Finds the character of an emerg_wr write: the byte the driver stored at emerg_wr's first byte
    /// (Linux writes the whole 32-bit field; the character is its low byte). False when the write does
    /// not cover that byte.
    /// </summary>
    public static bool TryGetEmergencyCharacter(ulong offset, ReadOnlySpan<byte> data, out byte character)
    {
        const ulong target = VirtioConsoleProtocol.EmergencyWriteOffset;
        if (offset <= target && target - offset < (ulong)data.Length)
        {
            character = data[(int)(target - offset)];
            return true;
        }
        character = 0;
        return false;
    }
}
