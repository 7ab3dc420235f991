using System.Buffers.Binary;
using Turnstone.Bench.Engine;

namespace Turnstone.UnitTests.Bench;

/// <summary>The loop guests of <c>bench engine</c>: their PVH ELF, and their exact instruction counts on
/// the software CPU (which needs no KVM; the loops here are a few thousand instructions).</summary>
public sealed class LoopGuestTests
{
    [Fact]
    public void Counts_follow_the_loop_bodies()
    {
        Assert.Equal(8_000, LoopGuest.LoopInstructionsFor(GuestLoopKind.Integer, 1000));
        Assert.Equal(2 * (LoopGuest.MemoryElements * 6 + 3), LoopGuest.LoopInstructionsFor(GuestLoopKind.Memory, 2));
        Assert.Equal(0, LoopGuest.Build(GuestLoopKind.Integer, 0).LoopInstructions);
    }

    [Fact]
    public void The_ELF_carries_the_image_and_the_PVH_entry_note()
    {
        var guest = LoopGuest.Build(GuestLoopKind.Integer, 10);
        byte[] elf = guest.ToPvhElf();

        Assert.Equal([0x7F, (byte)'E', (byte)'L', (byte)'F'], elf[..4]);
        Assert.Equal(2, elf[4]); // ELFCLASS64
        Assert.Equal(62, BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(18))); // x86-64
        const int note = 64 + 2 * 56;
        Assert.Equal(18u, BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(note + 8))); // XEN_ELFNOTE_PHYS32_ENTRY
        Assert.Equal("Xen\0"u8.ToArray(), elf[(note + 12)..(note + 16)]);
        Assert.Equal(LoopGuest.LoadAddress, BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(note + 16)));
        ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(64 + 8));
        Assert.Equal(guest.Image, elf[(int)offset..]);
    }

    [Theory]
    [InlineData(GuestLoopKind.Integer, 1)]
    [InlineData(GuestLoopKind.Integer, 5000)]
    [InlineData(GuestLoopKind.Memory, 1)]
    public void The_software_CPU_retires_exactly_the_loops_instructions(GuestLoopKind kind, long iterations)
    {
        var run = SoftwareLoopRunner.Run(LoopGuest.Build(kind, iterations));

        Assert.Equal(LoopGuest.LoopInstructionsFor(kind, iterations), run.LoopInstructions);
        Assert.True(run.InstructionsRetired > run.LoopInstructions);
        Assert.True(run.Seconds > 0);
    }
}
