using Turnstone.Firmware;
using Turnstone.Firmware.Elf;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Firmware;

/// <summary>PT_NOTE parsing: notes choose the boot protocol, so malformed ones fail the file with their position named.</summary>
public sealed class ElfNoteTests
{
    private static readonly byte[] Code = [0xF4];

    private static ElfBuilder WithNotes(byte[] raw, ulong alignment = 4) => new ElfBuilder().Load(0x10_0000, 0x10_0000, Code).RawNotes(raw, alignment);

    private static BootImageException Rejects(ElfBuilder builder) =>
        Assert.Throws<BootImageException>(() => ElfImage.Parse(builder.Build(), "test.elf"));

    /// <summary>One note as bytes: namesz, descsz, type, name, descriptor, each padded to 4.</summary>
    private static byte[] Note(uint nameSize, uint descriptorSize, uint type, byte[] nameAndDescriptor) =>
        [.. BitConverter.GetBytes(nameSize), .. BitConverter.GetBytes(descriptorSize), .. BitConverter.GetBytes(type), .. nameAndDescriptor];

    [Fact]
    public void Reads_notes_padded_to_8_in_a_segment_aligned_to_8()
    {
        // "Linux\0" is 6 bytes: 12 + 6 pads to 24 at alignment 8 (20 at alignment 4).
        var elf = ElfImage.Parse(new ElfBuilder().Load(0x10_0000, 0x10_0000, Code)
            .AlignedNotes(8, ("Linux", 0x100, [1, 2, 3]), ("Xen", 18, [0, 0, 0x10, 0]))
            .Build());

        Assert.Equal(["Linux", "Xen"], elf.Notes.Select(n => n.Name));
        Assert.Equal(new byte[] { 1, 2, 3 }, elf.Notes[0].Descriptor.ToArray());
        Assert.Equal(new byte[] { 0, 0, 0x10, 0 }, elf.Notes[1].Descriptor.ToArray());
    }

    [Fact]
    public void Accepts_a_last_note_without_its_trailing_padding()
    {
        byte[] raw = Note(4, 3, 7, [.. "Xen\0"u8, 9, 8, 7]); // descriptor of 3 bytes, padding byte cut off

        var note = Assert.Single(ElfImage.Parse(WithNotes(raw).Build()).Notes);

        Assert.Equal(new byte[] { 9, 8, 7 }, note.Descriptor.ToArray());
    }

    [Fact]
    public void An_empty_note_segment_has_no_notes()
    {
        Assert.Empty(ElfImage.Parse(WithNotes([]).Build()).Notes);
    }

    [Fact]
    public void Rejects_a_truncated_note_header()
    {
        byte[] raw = [.. Note(4, 0, 1, [.. "Xen\0"u8]), 4, 0, 0, 0, 0, 0];

        Assert.Equal("test.elf: note segment 1: note at offset 16 is truncated (6 bytes left; its header alone is 12)", Rejects(WithNotes(raw)).Message);
    }

    [Fact]
    public void Rejects_a_name_running_past_the_segment()
    {
        byte[] raw = Note(40, 0, 1, [.. "Xen\0"u8]);

        Assert.Contains("note at offset 0 (name 40 bytes, descriptor 0 bytes) runs past the end of its 16-byte segment", Rejects(WithNotes(raw)).Message);
    }

    [Fact]
    public void Rejects_a_descriptor_size_that_would_overflow()
    {
        byte[] raw = Note(4, uint.MaxValue, 1, [.. "Xen\0"u8, 1, 2, 3, 4]);

        Assert.Contains("runs past the end of its 20-byte segment", Rejects(WithNotes(raw)).Message);
    }

    [Fact]
    public void Rejects_a_name_without_its_NUL()
    {
        byte[] raw = Note(4, 0, 1, [.. "Xenn"u8]);

        Assert.Equal("test.elf: note segment 1: note at offset 0 has a name that is not NUL-terminated", Rejects(WithNotes(raw)).Message);
    }

    [Fact]
    public void Rejects_a_note_segment_at_a_misaligned_file_offset()
    {
        var builder = new ElfBuilder().Load(0x10_0000, 0x10_0000, [.. Note(4, 0, 1, [.. "Xen\0"u8]), 0, 0])
            .Raw(type: 4, offset: 0xB0 + 2, virtualAddress: 0, physicalAddress: 0, fileSize: 16, memorySize: 16, alignment: 4);

        Assert.Equal("test.elf: note segment 1 starts at file offset 0xb2, not 4-byte aligned", Rejects(builder).Message);
    }

    [Fact]
    public void Rejects_an_alignment_other_than_4_or_8()
    {
        Assert.Equal("test.elf: note segment 1: note alignment 16 is neither 4 nor 8", Rejects(WithNotes(Note(4, 0, 1, [.. "Xen\0"u8]), 16)).Message);
    }
}
