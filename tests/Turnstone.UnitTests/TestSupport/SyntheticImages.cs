using System.Buffers.Binary;
using K4os.Compression.LZ4;

namespace Turnstone.UnitTests.TestSupport;

/// <summary>
/// Builds a bzImage the way the kernel's build lays it out: a boot sector plus setup sectors with
/// the setup header at 0x1F1, then the protected-mode kernel holding the compressed payload. Every
/// header field is a property, so a test changes exactly the one it is about.
/// </summary>
internal sealed class BzImageBuilder
{
    public const int DefaultPayloadOffset = 0x400;

    /// <summary>Raw setup_sects byte (0 means 4 to the loader).</summary>
    public byte SetupSectors { get; set; } = 4;
    public ushort BootFlag { get; set; } = 0xAA55;
    public uint HeaderMagic { get; set; } = 0x53726448;
    public ushort Version { get; set; } = 0x020F;
    /// <summary>Displacement of the jump at 0x200; the header ends at 0x202 + this.</summary>
    public byte JumpDisplacement { get; set; } = 0x6A;
    public byte LoadFlags { get; set; } = 0x01;
    public ushort XLoadFlags { get; set; } = 0x03;
    public uint KernelAlignment { get; set; } = 0x20_0000;
    public uint InitrdAddressMax { get; set; } = 0x7FFF_FFFF;
    public uint CommandLineSize { get; set; } = 2047;
    public ulong PreferredAddress { get; set; } = 0x100_0000;
    public uint InitSize { get; set; } = 0x80_0000;
    public uint PayloadOffset { get; set; } = DefaultPayloadOffset;
    /// <summary>The compressed kernel; by default a stand-in that starts with the xz magic (not decompressed on the host).</summary>
    public byte[] Payload { get; set; } = [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, .. Enumerable.Range(0, 250).Select(i => (byte)i)];
    public uint? PayloadLengthOverride { get; set; }
    public uint? SysSizeOverride { get; set; }
    /// <summary>Cut the finished file to this many bytes.</summary>
    public int? TruncateTo { get; set; }

    public int SetupBytes => ((SetupSectors == 0 ? 4 : SetupSectors) + 1) * 512;

    public int ProtectedModeBytes => ((int)PayloadOffset + Payload.Length + 0x100 + 15) & ~15;

    public byte[] Build()
    {
        var file = new byte[SetupBytes + ProtectedModeBytes];
        var header = file.AsSpan();
        header[0x1F1] = SetupSectors;
        BinaryPrimitives.WriteUInt32LittleEndian(header[0x1F4..], SysSizeOverride ?? (uint)(ProtectedModeBytes / 16));
        BinaryPrimitives.WriteUInt16LittleEndian(header[0x1FE..], BootFlag);
        header[0x200] = 0xEB;
        header[0x201] = JumpDisplacement;
        BinaryPrimitives.WriteUInt32LittleEndian(header[0x202..], HeaderMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[0x206..], Version);
        header[0x211] = LoadFlags;
        BinaryPrimitives.WriteUInt32LittleEndian(header[0x214..], 0x10_0000);
        BinaryPrimitives.WriteUInt32LittleEndian(header[0x22C..], InitrdAddressMax);
        BinaryPrimitives.WriteUInt32LittleEndian(header[0x230..], KernelAlignment);
        header[0x234] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(header[0x236..], XLoadFlags);
        BinaryPrimitives.WriteUInt32LittleEndian(header[0x238..], CommandLineSize);
        BinaryPrimitives.WriteUInt32LittleEndian(header[0x248..], PayloadOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(header[0x24C..], PayloadLengthOverride ?? (uint)Payload.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(header[0x258..], PreferredAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(header[0x260..], InitSize);
        // The decompressor's code stands before the payload; fill it with something recognisable.
        header.Slice(SetupBytes, (int)PayloadOffset).Fill(0x90);
        Payload.CopyTo(header[(SetupBytes + (int)PayloadOffset)..]);
        return TruncateTo is { } length ? file[..length] : file;
    }
}

/// <summary>A little ELF64 writer: program headers right after the ELF header, segment data after them.</summary>
internal sealed class ElfBuilder
{
    private const int HeaderSize = 64, ProgramHeaderSize = 56;
    private readonly List<ProgramHeader> _headers = [];

    public byte Class { get; set; } = 2;
    public byte DataEncoding { get; set; } = 1;
    public ushort Type { get; set; } = 2;
    public ushort Machine { get; set; } = 62;
    public ulong Entry { get; set; } = 0x100_0000;
    public ulong? ProgramHeaderOffsetOverride { get; set; }
    /// <summary>Cut the finished file to this many bytes.</summary>
    public int? TruncateTo { get; set; }

    /// <summary>A PT_LOAD segment with <paramref name="data"/> as its file bytes.</summary>
    public ElfBuilder Load(ulong virtualAddress, ulong physicalAddress, byte[] data, ulong? memorySize = null, uint flags = 5) =>
        Add(new ProgramHeader(1, flags, virtualAddress, physicalAddress, data, memorySize ?? (ulong)data.Length));

    /// <summary>A PT_NOTE segment holding the given notes, 4-byte aligned as the gABI says.</summary>
    public ElfBuilder Notes(params (string Name, uint Type, byte[] Descriptor)[] notes) => AlignedNotes(4, notes);

    /// <summary>A PT_NOTE segment whose notes are padded to <paramref name="alignment"/> (its p_align).</summary>
    public ElfBuilder AlignedNotes(int alignment, params (string Name, uint Type, byte[] Descriptor)[] notes)
    {
        var bytes = new List<byte>();
        foreach (var (name, type, descriptor) in notes)
        {
            byte[] nameBytes = [.. System.Text.Encoding.ASCII.GetBytes(name), 0];
            bytes.AddRange(BitConverter.GetBytes((uint)nameBytes.Length));
            bytes.AddRange(BitConverter.GetBytes((uint)descriptor.Length));
            bytes.AddRange(BitConverter.GetBytes(type));
            bytes.AddRange(Pad([.. new byte[12], .. nameBytes], alignment)[12..]);
            bytes.AddRange(Pad(descriptor, alignment));
        }
        return RawNotes([.. bytes], (ulong)alignment);
    }

    /// <summary>A PT_NOTE segment with <paramref name="bytes"/> as its contents, well-formed or not.</summary>
    public ElfBuilder RawNotes(byte[] bytes, ulong alignment = 4) =>
        Add(new ProgramHeader(4, 4, 0, 0, bytes, (ulong)bytes.Length, Alignment: alignment));

    /// <summary>The PVH entry note (owner "Xen", XEN_ELFNOTE_PHYS32_ENTRY) with a 4-byte address.</summary>
    public ElfBuilder PvhNote(uint entry) => Notes(("Xen", 18, BitConverter.GetBytes(entry)));

    /// <summary>A freestanding PVH guest: 32-bit code at 1 MiB entered through its PVH note, a 64-bit e_entry it does not use.</summary>
    public static ElfBuilder PvhGuest(uint entry = 0x10_0000) => new ElfBuilder { Entry = 0xFFFF_FFFF_8000_0000 }
        .Load(0x10_0000, 0x10_0000, [0xFA, 0xF4, .. Enumerable.Repeat((byte)0x90, 0x7E)], memorySize: 0x3000, flags: 7)
        .PvhNote(entry);

    /// <summary>A program header written verbatim (file offset and sizes as given), for malformed files.</summary>
    public ElfBuilder Raw(uint type, ulong offset, ulong virtualAddress, ulong physicalAddress, ulong fileSize, ulong memorySize,
        ulong alignment = 0x1000) =>
        Add(new ProgramHeader(type, 4, virtualAddress, physicalAddress, null, memorySize, offset, fileSize, alignment));

    /// <summary>A 64-bit kernel as the kernel build links it: text at 16 MiB physical, bss after it.</summary>
    public static ElfBuilder MinimalKernel() => new ElfBuilder { Entry = 0x100_0000 }
        .Load(0xFFFF_FFFF_8100_0000, 0x100_0000, [0xFA, 0xF4, .. Enumerable.Repeat((byte)0xCC, 0xFE)], memorySize: 0x2000, flags: 5)
        .Load(0xFFFF_FFFF_8100_2000, 0x100_2000, Enumerable.Range(0, 0x80).Select(i => (byte)(i * 3)).ToArray(), memorySize: 0x1000, flags: 6);

    public byte[] Build()
    {
        int dataStart = HeaderSize + _headers.Count * ProgramHeaderSize;
        var offsets = new List<ulong>();
        int position = dataStart;
        foreach (var header in _headers)
        {
            position = (position + 15) & ~15;
            offsets.Add((ulong)position);
            position += header.Data?.Length ?? 0;
        }
        var file = new byte[Math.Max(position, dataStart)];
        var span = file.AsSpan();
        span[0] = 0x7F;
        span[1] = (byte)'E';
        span[2] = (byte)'L';
        span[3] = (byte)'F';
        span[4] = Class;
        span[5] = DataEncoding;
        span[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(span[16..], Type);
        BinaryPrimitives.WriteUInt16LittleEndian(span[18..], Machine);
        BinaryPrimitives.WriteUInt32LittleEndian(span[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(span[24..], Entry);
        BinaryPrimitives.WriteUInt64LittleEndian(span[32..], ProgramHeaderOffsetOverride ?? HeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(span[52..], HeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(span[54..], ProgramHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(span[56..], (ushort)_headers.Count);
        for (int i = 0; i < _headers.Count; i++)
        {
            var header = _headers[i];
            var entry = span.Slice(HeaderSize + i * ProgramHeaderSize, ProgramHeaderSize);
            BinaryPrimitives.WriteUInt32LittleEndian(entry, header.Kind);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], header.Flags);
            BinaryPrimitives.WriteUInt64LittleEndian(entry[8..], header.OffsetOverride ?? offsets[i]);
            BinaryPrimitives.WriteUInt64LittleEndian(entry[16..], header.VirtualAddress);
            BinaryPrimitives.WriteUInt64LittleEndian(entry[24..], header.PhysicalAddress);
            BinaryPrimitives.WriteUInt64LittleEndian(entry[32..], header.FileSizeOverride ?? (ulong)(header.Data?.Length ?? 0));
            BinaryPrimitives.WriteUInt64LittleEndian(entry[40..], header.MemorySize);
            BinaryPrimitives.WriteUInt64LittleEndian(entry[48..], header.Alignment);
            header.Data?.CopyTo(span[(int)offsets[i]..]);
        }
        return TruncateTo is { } length ? file[..length] : file;
    }

    private ElfBuilder Add(ProgramHeader header)
    {
        _headers.Add(header);
        return this;
    }

    private static byte[] Pad(byte[] bytes, int alignment) => [.. bytes, .. new byte[(alignment - bytes.Length % alignment) % alignment]];

    private sealed record ProgramHeader(uint Kind, uint Flags, ulong VirtualAddress, ulong PhysicalAddress, byte[]? Data,
        ulong MemorySize, ulong? OffsetOverride = null, ulong? FileSizeOverride = null, ulong Alignment = 0x1000);
}

/// <summary>The kernel build's LZ4 payload: "lz4 -l" legacy frames plus the appended uncompressed size.</summary>
internal static class Lz4LegacyFrame
{
    public const uint Magic = 0x184C2102;
    public const int BlockSize = 8 << 20;

    public static byte[] Compress(ReadOnlySpan<byte> data, bool repeatMagicBetweenBlocks = false, uint? trailingSize = null)
    {
        var output = new MemoryStream();
        Write32(output, Magic);
        for (int offset = 0; offset < data.Length; offset += BlockSize)
        {
            if (repeatMagicBetweenBlocks && offset > 0)
            {
                Write32(output, Magic);
            }
            var chunk = data.Slice(offset, Math.Min(BlockSize, data.Length - offset));
            var block = new byte[LZ4Codec.MaximumOutputSize(chunk.Length)];
            int length = LZ4Codec.Encode(chunk, block);
            Write32(output, (uint)length);
            output.Write(block, 0, length);
        }
        Write32(output, trailingSize ?? (uint)data.Length);
        return output.ToArray();
    }

    private static void Write32(Stream stream, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        stream.Write(bytes);
    }
}
