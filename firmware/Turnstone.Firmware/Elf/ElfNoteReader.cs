using System.Buffers.Binary;
using System.Text;

namespace Turnstone.Firmware.Elf;

/// <summary>
/// Reads the notes of one PT_NOTE segment. Notes now choose the boot protocol (the PVH entry note),
/// so a malformed note fails the file with its position named rather than being skipped: a
/// half-read note list could silently pick the wrong entry point.
/// </summary>
internal static class ElfNoteReader
{
    private const int HeaderSize = 12;

    /// <summary>
    /// The alignment of the notes in a segment with program-header alignment <paramref name="segmentAlignment"/>:
    /// 4 as the gABI says, or 8 for the ELF64 notes that ask for it (.note.gnu.property), as binutils reads them.
    /// </summary>
    public static int NoteAlignment(ulong segmentAlignment, string where) => segmentAlignment switch
    {
        <= 4 => 4,
        8 => 8,
        _ => throw new BootImageException($"{where}: note alignment {segmentAlignment} is neither 4 nor 8"),
    };

    public static void Read(ReadOnlyMemory<byte> segment, int alignment, string where, List<ElfNote> notes)
    {
        var bytes = segment.Span;
        int offset = 0;
        while (offset < bytes.Length)
        {
            if (bytes.Length - offset < HeaderSize)
            {
                throw new BootImageException($"{where}: note at offset {offset} is truncated ({bytes.Length - offset} bytes left; its header alone is {HeaderSize})");
            }
            uint nameSize = U32(bytes, offset), descriptorSize = U32(bytes, offset + 4), type = U32(bytes, offset + 8);
            long nameStart = offset + HeaderSize;
            long descriptorStart = offset + AlignUp(HeaderSize + (long)nameSize, alignment);
            // The last note's trailing padding may be missing from the segment (binutils accepts that too).
            if (nameStart + nameSize > bytes.Length || descriptorStart + descriptorSize > bytes.Length)
            {
                throw new BootImageException(
                    $"{where}: note at offset {offset} (name {nameSize} bytes, descriptor {descriptorSize} bytes) runs past the end of its {bytes.Length}-byte segment");
            }
            var name = bytes.Slice((int)nameStart, (int)nameSize);
            if (nameSize > 0 && name[^1] != 0)
            {
                throw new BootImageException($"{where}: note at offset {offset} has a name that is not NUL-terminated");
            }
            string text = Encoding.ASCII.GetString(name.TrimEnd((byte)0));
            notes.Add(new ElfNote(text, type, segment.Slice((int)descriptorStart, (int)descriptorSize)));
            offset = (int)Math.Min(bytes.Length, descriptorStart + AlignUp(descriptorSize, alignment));
        }
    }

    private static long AlignUp(long value, int alignment) => (value + alignment - 1) & ~(long)(alignment - 1);
    private static uint U32(ReadOnlySpan<byte> b, int o) => BinaryPrimitives.ReadUInt32LittleEndian(b[o..]);
}
