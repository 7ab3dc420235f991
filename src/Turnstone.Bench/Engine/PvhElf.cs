using System.Buffers.Binary;

namespace Turnstone.Bench.Engine;

/// <summary>
/// Wraps a flat image in an ELF64 with one PT_LOAD and the Xen PVH entry note
/// (XEN_ELFNOTE_PHYS32_ENTRY), which QEMU's <c>-kernel</c> and <c>turnstone run --kernel</c> boot
/// in 32-bit protected mode.
/// </summary>
public static class PvhElf
{
    /// <param name="memorySize">Bytes the segment occupies in memory (zero-filled past the image,
    /// e.g. for a stack); the image's length when null.</param>
    public static byte[] Build(byte[] image, uint loadAddress, uint entry, ulong? memorySize = null)
    {
        ulong inMemory = memorySize ?? (ulong)image.Length;
        ArgumentOutOfRangeException.ThrowIfLessThan(inMemory, (ulong)image.Length, nameof(memorySize));
        const int header = 64, programHeader = 56, noteOffset = header + 2 * programHeader, noteSize = 20, codeOffset = 0x1000;
        var file = new byte[codeOffset + image.Length];
        var span = file.AsSpan();
        span[0] = 0x7F; // not "\x7FELF": C#'s \x takes up to four hex digits
        "ELF"u8.CopyTo(span[1..]);
        span[4] = 2; // ELFCLASS64
        span[5] = 1; // little-endian
        span[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(span[16..], 2);  // ET_EXEC
        BinaryPrimitives.WriteUInt16LittleEndian(span[18..], 62); // x86-64
        BinaryPrimitives.WriteUInt32LittleEndian(span[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(span[24..], entry);
        BinaryPrimitives.WriteUInt64LittleEndian(span[32..], header);
        BinaryPrimitives.WriteUInt16LittleEndian(span[52..], header);
        BinaryPrimitives.WriteUInt16LittleEndian(span[54..], programHeader);
        BinaryPrimitives.WriteUInt16LittleEndian(span[56..], 2);
        WriteProgramHeader(span[header..], type: 1, flags: 7, codeOffset, loadAddress, (ulong)image.Length, inMemory, alignment: 0x1000);
        WriteProgramHeader(span[(header + programHeader)..], type: 4, flags: 4, noteOffset, 0, noteSize, noteSize, alignment: 4);
        var note = span.Slice(noteOffset, noteSize);
        BinaryPrimitives.WriteUInt32LittleEndian(note, 4);       // namesz: "Xen\0"
        BinaryPrimitives.WriteUInt32LittleEndian(note[4..], 4);  // descsz
        BinaryPrimitives.WriteUInt32LittleEndian(note[8..], 18); // XEN_ELFNOTE_PHYS32_ENTRY
        "Xen\0"u8.CopyTo(note[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(note[16..], entry);
        image.CopyTo(span[codeOffset..]);
        return file;
    }

    private static void WriteProgramHeader(Span<byte> span, uint type, uint flags, ulong offset, ulong address, ulong fileSize, ulong memorySize, ulong alignment)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(span, type);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], flags);
        BinaryPrimitives.WriteUInt64LittleEndian(span[8..], offset);
        BinaryPrimitives.WriteUInt64LittleEndian(span[16..], address);
        BinaryPrimitives.WriteUInt64LittleEndian(span[24..], address);
        BinaryPrimitives.WriteUInt64LittleEndian(span[32..], fileSize);
        BinaryPrimitives.WriteUInt64LittleEndian(span[40..], memorySize);
        BinaryPrimitives.WriteUInt64LittleEndian(span[48..], alignment);
    }
}
