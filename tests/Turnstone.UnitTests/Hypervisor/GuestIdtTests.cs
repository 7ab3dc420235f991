using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Emulation;
using Turnstone.Hypervisor.Quirks;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Hypervisor;

public sealed class GuestIdtTests
{
    private const ulong IdtLinear = 0xFFFF_FE00_0000_0000, IdtPhysical = 0x3000;
    private readonly ArrayGuestMemory _memory = new(2ul << 20);
    private readonly GuestVirtualMemory _virtual;

    public GuestIdtTests()
    {
        var tables = new PageTableBuilder(_memory, 0x10_0000).Map4K(IdtLinear, IdtPhysical);
        _virtual = new GuestVirtualMemory(_memory, tables.LongMode);
    }

    /// <summary>A 64-bit interrupt gate: offset split 15:0 / 31:16 / 63:32, selector 0x10, type 0xE.</summary>
    private void WriteGate(int vector, ulong handler, bool present = true)
    {
        ulong low = (handler & 0xFFFF) | (0x10ul << 16) | ((present ? 0x8Eul : 0x0Eul) << 40) | ((handler >> 16 & 0xFFFF) << 48);
        _memory.WriteUInt64(IdtPhysical + (ulong)vector * 16, low);
        _memory.WriteUInt64(IdtPhysical + (ulong)vector * 16 + 8, handler >> 32);
    }

    [Fact]
    public void Reads_the_handler_of_a_present_gate()
    {
        WriteGate(GuestIdt.PageFault, 0xFFFF_FFFF_8160_1230);
        WriteGate(GuestIdt.InvalidOpcode, 0xFFFF_FFFF_8160_0AB0);

        Assert.True(GuestIdt.TryReadHandler(_virtual, IdtLinear, 0xFFF, GuestIdt.PageFault, out ulong pf));
        Assert.True(GuestIdt.TryReadHandler(_virtual, IdtLinear, 0xFFF, GuestIdt.InvalidOpcode, out ulong ud));

        Assert.Equal(0xFFFF_FFFF_8160_1230ul, pf);
        Assert.Equal(0xFFFF_FFFF_8160_0AB0ul, ud);
    }

    [Fact]
    public void A_not_present_gate_has_no_handler()
    {
        WriteGate(GuestIdt.LegacySystemCall, 0xFFFF_FFFF_8160_2000, present: false);

        Assert.False(GuestIdt.TryReadHandler(_virtual, IdtLinear, 0xFFF, GuestIdt.LegacySystemCall, out ulong handler));
        Assert.Equal(0ul, handler);
    }

    [Theory]
    [InlineData(0xEEu, false)] // vector 14 needs bytes 224-239: limit 238 is one short
    [InlineData(0xEFu, true)]
    [InlineData(0xDFu, false)]
    public void A_vector_beyond_the_limit_is_not_read(uint limit, bool expected)
    {
        WriteGate(GuestIdt.PageFault, 0xFFFF_FFFF_8160_1230);

        Assert.Equal(expected, GuestIdt.TryReadHandler(_virtual, IdtLinear, (ushort)limit, GuestIdt.PageFault, out _));
    }

    [Fact]
    public void An_unmapped_IDT_has_no_handlers()
    {
        Assert.False(GuestIdt.TryReadHandler(_virtual, IdtLinear + 0x1000, 0xFFF, 0, out _));
    }
}
