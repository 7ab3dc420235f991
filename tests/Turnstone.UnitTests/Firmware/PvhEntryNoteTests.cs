using Turnstone.Firmware;
using Turnstone.Firmware.Elf;
using Turnstone.Firmware.Pvh;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Firmware;

public sealed class PvhEntryNoteTests
{
    private static uint? Find(params (string Name, uint Type, byte[] Descriptor)[] notes) =>
        PvhEntryNote.Find(ElfImage.Parse(new ElfBuilder().Load(0x10_0000, 0x10_0000, [0xF4]).Notes(notes).Build()), "test.elf");

    [Fact]
    public void Reads_a_4_byte_entry()
    {
        Assert.Equal(0x10_0040u, Find(("Xen", 18, [0x40, 0, 0x10, 0])));
    }

    [Fact]
    public void Reads_an_8_byte_entry_as_Linux_writes_it()
    {
        Assert.Equal(0x100_05F0u, Find(("GNU", 3, new byte[20]), ("Xen", 18, [0xF0, 0x05, 0, 0x01, 0, 0, 0, 0])));
    }

    [Fact]
    public void An_ELF_without_the_note_has_no_PVH_entry()
    {
        Assert.Null(Find(("GNU", 3, new byte[20])));
        Assert.Null(PvhEntryNote.Find(ElfImage.Parse(ElfBuilder.MinimalKernel().Build()), "test.elf"));
    }

    [Theory]
    [InlineData("XEN", 18u)]
    [InlineData("Xen2", 18u)]
    [InlineData("Linux", 18u)]
    [InlineData("Xen", 1u)] // XEN_ELFNOTE_INFO: another Xen note, not the PVH entry
    public void A_note_with_another_owner_or_type_is_not_the_PVH_entry(string owner, uint type)
    {
        Assert.Null(Find((owner, type, [0, 0, 0x10, 0])));
    }

    [Fact]
    public void Rejects_a_descriptor_of_another_size()
    {
        var error = Assert.Throws<BootImageException>(() => Find(("Xen", 18, [0, 0, 0x10])));

        Assert.Equal("test.elf: PVH entry note has a 3-byte descriptor; expected a 4- or 8-byte physical address", error.Message);
    }

    [Fact]
    public void Rejects_an_entry_above_4_GiB()
    {
        var error = Assert.Throws<BootImageException>(() => Find(("Xen", 18, [0, 0, 0, 0, 1, 0, 0, 0])));

        Assert.Contains("PVH entry 0x100000000 is above 4 GiB", error.Message);
    }

    [Fact]
    public void Rejects_two_notes_that_disagree_and_accepts_two_that_agree()
    {
        var error = Assert.Throws<BootImageException>(() => Find(("Xen", 18, [0, 0, 0x10, 0]), ("Xen", 18, [0, 0x10, 0x10, 0])));

        Assert.Equal("test.elf: two PVH entry notes disagree (0x100000 and 0x101000)", error.Message);
        Assert.Equal(0x10_0000u, Find(("Xen", 18, [0, 0, 0x10, 0]), ("Xen", 18, [0, 0, 0x10, 0, 0, 0, 0, 0])));
    }
}
