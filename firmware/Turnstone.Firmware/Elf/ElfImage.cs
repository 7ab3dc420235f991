using System.Buffers.Binary;

namespace Turnstone.Firmware.Elf;

/// <summary>One PT_LOAD segment of an ELF64 executable.</summary>
public readonly record struct ElfLoadSegment(ulong VirtualAddress, ulong PhysicalAddress, ulong FileOffset, ulong FileSize, ulong MemorySize, uint Flags)
{
    public const uint Execute = 1, Write = 2, Read = 4;
}

/// <summary>An ELF note from a PT_NOTE segment (owner name without its NUL, type, descriptor bytes).</summary>
public readonly record struct ElfNote(string Name, uint Type, ReadOnlyMemory<byte> Descriptor);

/// <summary>
/// A validated little-endian x86-64 ELF64 executable: its entry point, its PT_LOAD segments (inside
/// the file, non-overlapping) and the notes of its PT_NOTE segments (the ones loaders such as QEMU and
/// Firecracker read; section headers are not consulted). Everything is checked on parse, so a loader can copy
/// segments without further checks on the file side.
/// </summary>
public sealed class ElfImage
{
    private const ushort MachineX86_64 = 62;
    private const uint PtLoad = 1, PtNote = 4;

    private ElfImage(ReadOnlyMemory<byte> file, ulong fileLength, ulong entry, ushort type, IReadOnlyList<ElfLoadSegment> segments, IReadOnlyList<ElfNote> notes)
    {
        File = file;
        FileLength = fileLength;
        Entry = entry;
        Type = type;
        Segments = segments;
        Notes = notes;
    }

    /// <summary>The file's bytes: all of them, or only its first part when parsed from a prefix (see <see cref="Parse"/>).</summary>
    public ReadOnlyMemory<byte> File { get; }
    /// <summary>The whole file's length in bytes.</summary>
    public ulong FileLength { get; }
    /// <summary>Whether <see cref="File"/> holds the whole file (segments can be copied from it).</summary>
    public bool IsComplete => (ulong)File.Length == FileLength;
    public ulong Entry { get; }
    /// <summary>ET_EXEC (2) or ET_DYN (3).</summary>
    public ushort Type { get; }
    public IReadOnlyList<ElfLoadSegment> Segments { get; }
    public IReadOnlyList<ElfNote> Notes { get; }

    public static bool HasElfMagic(ReadOnlySpan<byte> file) =>
        file.Length >= 4 && file[0] == 0x7F && file[1] == (byte)'E' && file[2] == (byte)'L' && file[3] == (byte)'F';

    /// <summary>Parses and validates; throws <see cref="BootImageException"/> naming the first problem.
    /// With <paramref name="fileLength"/>, <paramref name="file"/> is only the file's first part (holding the
    /// headers and program headers): segments are checked against the whole length, and notes are not read.</summary>
    public static ElfImage Parse(ReadOnlyMemory<byte> file, string what = "ELF file", ulong? fileLength = null)
    {
        var bytes = file.Span;
        ulong length = fileLength ?? (ulong)bytes.Length;
        if (bytes.Length < 64)
        {
            throw new BootImageException($"{what}: truncated ({bytes.Length} bytes; an ELF64 header alone is 64)");
        }
        if (!HasElfMagic(bytes))
        {
            throw new BootImageException($"{what}: not an ELF file (bad magic)");
        }
        if (bytes[4] != 2)
        {
            throw new BootImageException($"{what}: not a 64-bit ELF (class {bytes[4]})");
        }
        if (bytes[5] != 1)
        {
            throw new BootImageException($"{what}: not little-endian");
        }
        ushort type = U16(bytes, 16), machine = U16(bytes, 18);
        if (machine != MachineX86_64)
        {
            throw new BootImageException($"{what}: built for machine {machine}, not x86-64 ({MachineX86_64})");
        }
        if (type is not (2 or 3))
        {
            throw new BootImageException($"{what}: ELF type {type} is not an executable");
        }
        ulong entry = U64(bytes, 24), phoff = U64(bytes, 32);
        ushort phentsize = U16(bytes, 54), phnum = U16(bytes, 56);
        if (phnum == 0)
        {
            throw new BootImageException($"{what}: no program headers");
        }
        if (phentsize < 56 || phoff > (ulong)bytes.Length || (ulong)phnum * phentsize > (ulong)bytes.Length - phoff)
        {
            throw new BootImageException($"{what}: program header table lies outside the file");
        }
        var segments = new List<ElfLoadSegment>();
        var notes = new List<ElfNote>();
        for (int i = 0; i < phnum; i++)
        {
            var header = bytes.Slice((int)phoff + i * phentsize, 56);
            uint kind = U32(header, 0), flags = U32(header, 4);
            ulong offset = U64(header, 8), vaddr = U64(header, 16), paddr = U64(header, 24), filesz = U64(header, 32), memsz = U64(header, 40);
            ulong alignment = U64(header, 48);
            if (kind is not (PtLoad or PtNote))
            {
                continue;
            }
            if (offset > length || filesz > length - offset)
            {
                throw new BootImageException($"{what}: segment {i} extends past the end of the file (truncated?)");
            }
            if (kind == PtNote && fileLength is not null)
            {
                continue; // parsed from a prefix: notes not read
            }
            if (kind == PtNote)
            {
                string where = $"{what}: note segment {i}";
                int noteAlignment = ElfNoteReader.NoteAlignment(alignment, where);
                if (offset % (ulong)noteAlignment != 0)
                {
                    throw new BootImageException($"{where} starts at file offset 0x{offset:x}, not {noteAlignment}-byte aligned");
                }
                ElfNoteReader.Read(file.Slice((int)offset, (int)filesz), noteAlignment, where, notes);
                continue;
            }
            if (memsz < filesz)
            {
                throw new BootImageException($"{what}: segment {i} has a memory size smaller than its file size");
            }
            if (memsz == 0)
            {
                continue;
            }
            if (paddr + memsz < paddr || vaddr + memsz < vaddr)
            {
                throw new BootImageException($"{what}: segment {i} wraps around the address space");
            }
            segments.Add(new ElfLoadSegment(vaddr, paddr, offset, filesz, memsz, flags));
        }
        if (segments.Count == 0)
        {
            throw new BootImageException($"{what}: no loadable segments");
        }
        var ordered = segments.OrderBy(s => s.VirtualAddress).ToList();
        for (int i = 1; i < ordered.Count; i++)
        {
            if (ordered[i].VirtualAddress < ordered[i - 1].VirtualAddress + ordered[i - 1].MemorySize)
            {
                throw new BootImageException($"{what}: loadable segments at 0x{ordered[i - 1].VirtualAddress:x} and 0x{ordered[i].VirtualAddress:x} overlap");
            }
        }
        // Loaders place segments by physical address, so those must not overlap either.
        var byPhysical = segments.OrderBy(s => s.PhysicalAddress).ToList();
        for (int i = 1; i < byPhysical.Count; i++)
        {
            if (byPhysical[i].PhysicalAddress < byPhysical[i - 1].PhysicalAddress + byPhysical[i - 1].MemorySize)
            {
                throw new BootImageException(
                    $"{what}: loadable segments at physical 0x{byPhysical[i - 1].PhysicalAddress:x} and 0x{byPhysical[i].PhysicalAddress:x} overlap");
            }
        }
        return new ElfImage(file, length, entry, type, segments, notes);
    }

    /// <summary>The segment holding virtual address <paramref name="address"/>, if any.</summary>
    public ElfLoadSegment? SegmentContaining(ulong address) =>
        Segments.FirstOrDefault(s => address >= s.VirtualAddress && address - s.VirtualAddress < s.MemorySize) is { MemorySize: > 0 } found ? found : null;

    private static ushort U16(ReadOnlySpan<byte> b, int o) => BinaryPrimitives.ReadUInt16LittleEndian(b[o..]);
    private static uint U32(ReadOnlySpan<byte> b, int o) => BinaryPrimitives.ReadUInt32LittleEndian(b[o..]);
    private static ulong U64(ReadOnlySpan<byte> b, int o) => BinaryPrimitives.ReadUInt64LittleEndian(b[o..]);
}
