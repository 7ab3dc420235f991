using Turnstone.Firmware;
using Turnstone.Firmware.Elf;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Firmware;

public sealed class ElfImageTests
{
    private static readonly byte[] Code = [0x48, 0x31, 0xC0, 0xF4];

    private static BootImageException Rejects(ElfBuilder builder) =>
        Assert.Throws<BootImageException>(() => ElfImage.Parse(builder.Build(), "test.elf"));

    [Fact]
    public void Parses_entry_type_and_loadable_segments()
    {
        var elf = ElfImage.Parse(new ElfBuilder { Entry = 0x40_1000, Type = 3 }
            .Load(0x40_1000, 0x20_1000, Code, memorySize: 0x1000, flags: ElfLoadSegment.Read | ElfLoadSegment.Execute)
            .Raw(type: 6 /* PT_PHDR: ignored */, offset: 64, virtualAddress: 0, physicalAddress: 0, fileSize: 56, memorySize: 56)
            .Build());

        Assert.Equal(0x40_1000ul, elf.Entry);
        Assert.Equal((ushort)3, elf.Type);
        var segment = Assert.Single(elf.Segments);
        Assert.Equal(new ElfLoadSegment(0x40_1000, 0x20_1000, segment.FileOffset, 4, 0x1000, 5), segment);
        Assert.Equal(Code, elf.File.Slice((int)segment.FileOffset, 4).ToArray());
        Assert.Equal(segment, elf.SegmentContaining(0x40_1FFF));
        Assert.Null(elf.SegmentContaining(0x40_2000));
    }

    [Fact]
    public void Rejects_a_file_that_is_not_ELF()
    {
        byte[] file = new ElfBuilder().Load(0x1000, 0x1000, Code).Build();
        file[1] = (byte)'X';

        var error = Assert.Throws<BootImageException>(() => ElfImage.Parse(file, "test.elf"));
        Assert.Equal("test.elf: not an ELF file (bad magic)", error.Message);
    }

    [Fact]
    public void Rejects_a_file_shorter_than_an_ELF_header()
    {
        var error = Assert.Throws<BootImageException>(() => ElfImage.Parse(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F' }, "test.elf"));
        Assert.Contains("truncated (4 bytes", error.Message);
    }

    [Fact]
    public void Rejects_a_32_bit_ELF()
    {
        Assert.Contains("not a 64-bit ELF (class 1)", Rejects(new ElfBuilder { Class = 1 }.Load(0x1000, 0x1000, Code)).Message);
    }

    [Fact]
    public void Rejects_a_big_endian_ELF()
    {
        Assert.Contains("not little-endian", Rejects(new ElfBuilder { DataEncoding = 2 }.Load(0x1000, 0x1000, Code)).Message);
    }

    [Fact]
    public void Rejects_another_machine()
    {
        Assert.Contains("built for machine 183, not x86-64 (62)", Rejects(new ElfBuilder { Machine = 183 }.Load(0x1000, 0x1000, Code)).Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Rejects_a_type_that_is_not_executable(ushort type)
    {
        Assert.Contains($"ELF type {type} is not an executable", Rejects(new ElfBuilder { Type = type }.Load(0x1000, 0x1000, Code)).Message);
    }

    [Fact]
    public void Rejects_program_headers_outside_the_file()
    {
        var builder = new ElfBuilder { ProgramHeaderOffsetOverride = 0x10_0000 }.Load(0x1000, 0x1000, Code);
        Assert.Contains("program header table lies outside the file", Rejects(builder).Message);
    }

    [Fact]
    public void Rejects_program_headers_cut_off_by_the_end_of_the_file()
    {
        var builder = new ElfBuilder { TruncateTo = 64 + 30 }.Load(0x1000, 0x1000, []);
        Assert.Contains("program header table lies outside the file", Rejects(builder).Message);
    }

    [Fact]
    public void Rejects_a_file_without_program_headers()
    {
        Assert.Contains("no program headers", Rejects(new ElfBuilder()).Message);
    }

    [Fact]
    public void Rejects_a_segment_past_the_end_of_the_file()
    {
        var builder = new ElfBuilder().Raw(type: 1, offset: 0x40, virtualAddress: 0x1000, physicalAddress: 0x1000, fileSize: 0x10_0000, memorySize: 0x10_0000);
        Assert.Contains("segment 0 extends past the end of the file", Rejects(builder).Message);
    }

    [Fact]
    public void Rejects_a_segment_whose_file_offset_is_past_the_end()
    {
        var builder = new ElfBuilder().Raw(type: 1, offset: ulong.MaxValue - 4, virtualAddress: 0x1000, physicalAddress: 0x1000, fileSize: 16, memorySize: 16);
        Assert.Contains("segment 0 extends past the end of the file", Rejects(builder).Message);
    }

    [Fact]
    public void Rejects_memory_size_smaller_than_file_size()
    {
        var builder = new ElfBuilder().Load(0x1000, 0x1000, Code, memorySize: 2);
        Assert.Contains("segment 0 has a memory size smaller than its file size", Rejects(builder).Message);
    }

    [Fact]
    public void Rejects_a_segment_that_wraps_the_address_space()
    {
        var builder = new ElfBuilder().Load(0xFFFF_FFFF_FFFF_F000, 0x1000, Code, memorySize: 0x2000);
        Assert.Contains("segment 0 wraps around the address space", Rejects(builder).Message);
    }

    [Fact]
    public void Rejects_overlapping_segments()
    {
        var builder = new ElfBuilder()
            .Load(0x1000, 0x1000, Code, memorySize: 0x2000)
            .Load(0x2000, 0x2000, Code);
        Assert.Contains("loadable segments at 0x1000 and 0x2000 overlap", Rejects(builder).Message);
    }

    [Fact]
    public void Accepts_segments_that_touch()
    {
        var elf = ElfImage.Parse(new ElfBuilder().Load(0x2000, 0x2000, Code).Load(0x1000, 0x1000, Code, memorySize: 0x1000).Build());
        Assert.Equal(2, elf.Segments.Count);
    }

    /// <summary>The Linux loader copies segments to their physical addresses, so a physical overlap is what corrupts the kernel.</summary>
    [Fact]
    public void Rejects_segments_that_overlap_in_physical_memory()
    {
        var builder = new ElfBuilder()
            .Load(0xFFFF_FFFF_8100_0000, 0x100_0000, Code, memorySize: 0x2000)
            .Load(0xFFFF_FFFF_8200_0000, 0x100_1000, Code, memorySize: 0x1000);
        Assert.Contains("overlap", Rejects(builder).Message);
    }

    [Fact]
    public void Rejects_a_file_without_loadable_segments()
    {
        var builder = new ElfBuilder().Notes(("Xen", 1, [1, 2, 3, 4])).Load(0x1000, 0x1000, [], memorySize: 0);
        Assert.Contains("no loadable segments", Rejects(builder).Message);
    }

    [Fact]
    public void Parses_notes_with_padding()
    {
        var elf = ElfImage.Parse(new ElfBuilder()
            .Load(0x1000, 0x1000, Code)
            .Notes(("Xen", 18, [0x00, 0x10, 0x00, 0x01, 0, 0, 0, 0]), ("Linux", 0x101, [0xAB, 0xCD, 0xEF]), ("GNU", 3, []))
            .Build());

        Assert.Collection(elf.Notes,
            note =>
            {
                Assert.Equal("Xen", note.Name);
                Assert.Equal(18u, note.Type);
                Assert.Equal(new byte[] { 0x00, 0x10, 0x00, 0x01, 0, 0, 0, 0 }, note.Descriptor.ToArray());
            },
            note =>
            {
                Assert.Equal("Linux", note.Name);
                Assert.Equal(0x101u, note.Type);
                Assert.Equal(new byte[] { 0xAB, 0xCD, 0xEF }, note.Descriptor.ToArray());
            },
            note =>
            {
                Assert.Equal("GNU", note.Name);
                Assert.Equal(0, note.Descriptor.Length);
            });
    }

    [Fact]
    public void A_malformed_note_fails_the_file()
    {
        byte[] file = new ElfBuilder()
            .Load(0x1000, 0x1000, Code)
            .Notes(("Xen", 1, [1, 2, 3, 4]), ("Bad", 2, [5, 6, 7, 8]))
            .Build();
        // Make the second note claim a descriptor far larger than its segment.
        int secondNote = FindNote(file, "Bad") - 12;
        BitConverter.TryWriteBytes(file.AsSpan(secondNote + 4), 0x1000u);

        var error = Assert.Throws<BootImageException>(() => ElfImage.Parse(file, "test.elf"));

        Assert.Equal("test.elf: note segment 1: note at offset 20 (name 4 bytes, descriptor 4096 bytes) runs past the end of its 40-byte segment",
            error.Message);
    }

    private static int FindNote(byte[] file, string name) =>
        file.AsSpan().IndexOf([.. System.Text.Encoding.ASCII.GetBytes(name), (byte)0]);
}
