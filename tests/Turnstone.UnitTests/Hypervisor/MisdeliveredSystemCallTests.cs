using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Emulation;
using Turnstone.Hypervisor.Quirks;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Hypervisor;

public sealed class MisdeliveredSystemCallTests
{
    private const ulong Lstar = 0xFFFF_FFFF_8180_0000;
    private const ulong UserCode = 0x40_1000, UserCodePhysical = 0x8000;
    private const ulong UserCs = 0x33, KernelCs = 0x10;
    private readonly ArrayGuestMemory _memory = new(2ul << 20);
    private readonly GuestVirtualMemory _virtual;

    public MisdeliveredSystemCallTests()
    {
        var tables = new PageTableBuilder(_memory, 0x10_0000).Map4K(UserCode, UserCodePhysical, PageTableBuilder.AllTableRights);
        _virtual = new GuestVirtualMemory(_memory, tables.LongMode);
        // mov eax, 1 ; syscall ; int $0x80 ; ud2
        _memory.Write(UserCodePhysical + 0x10, [0xB8, 0x01, 0x00, 0x00, 0x00, 0x0F, 0x05, 0xCD, 0x80, 0x0F, 0x0B]);
    }

    private static byte[] Frame(params ulong[] slots) => slots.SelectMany(BitConverter.GetBytes).ToArray();

    private static byte[] PageFaultFrame(ulong rip, ulong cs) => Frame(0xF, rip, cs, 0x246, 0x7FFF_FFFF_E000, 0x2B);

    [Fact]
    public void A_user_syscall_delivered_as_a_page_fault_at_LSTAR_is_a_system_call()
    {
        ulong rcx = UserCode + 0x17; // after the 0f 05

        Assert.Equal(BreakpointVerdict.SystemCall,
            MisdeliveredSystemCall.ClassifyPageFault(PageFaultFrame(Lstar, UserCs), cr2: Lstar, lstar: Lstar, rcx, _virtual));
    }

    [Fact]
    public void A_page_fault_from_kernel_mode_is_genuine()
    {
        Assert.Equal(BreakpointVerdict.GenuineException,
            MisdeliveredSystemCall.ClassifyPageFault(PageFaultFrame(Lstar, KernelCs), Lstar, Lstar, UserCode + 0x17, _virtual));
    }

    [Fact]
    public void A_page_fault_whose_RIP_is_not_CR2_is_genuine()
    {
        Assert.Equal(BreakpointVerdict.GenuineException,
            MisdeliveredSystemCall.ClassifyPageFault(PageFaultFrame(UserCode + 0x10, UserCs), Lstar, Lstar, UserCode + 0x17, _virtual));
    }

    [Fact]
    public void A_user_fetch_fault_away_from_LSTAR_is_genuine()
    {
        const ulong elsewhere = 0x7F00_0000_1000;

        Assert.Equal(BreakpointVerdict.GenuineException,
            MisdeliveredSystemCall.ClassifyPageFault(PageFaultFrame(elsewhere, UserCs), elsewhere, Lstar, UserCode + 0x17, _virtual));
    }

    [Theory]
    [InlineData(0x15ul)]  // RCX-2 points at "00 00" (inside the mov): not a syscall
    [InlineData(0x19ul)]  // RCX-2 points at "cd 80"
    [InlineData(0x1000ul)] // RCX-2 unmapped
    public void Other_bytes_before_RCX_mean_a_genuine_fault(ulong rcxOffset)
    {
        Assert.Equal(BreakpointVerdict.GenuineException,
            MisdeliveredSystemCall.ClassifyPageFault(PageFaultFrame(Lstar, UserCs), Lstar, Lstar, UserCode + rcxOffset, _virtual));
    }

    [Theory]
    [InlineData(0ul)]
    [InlineData(1ul)]
    public void An_RCX_below_two_is_genuine(ulong rcx)
    {
        Assert.Equal(BreakpointVerdict.GenuineException,
            MisdeliveredSystemCall.ClassifyPageFault(PageFaultFrame(Lstar, UserCs), Lstar, Lstar, rcx, _virtual));
    }

    [Fact]
    public void Int80_from_user_mode_delivered_as_UD_is_a_legacy_system_call()
    {
        byte[] frame = Frame(UserCode + 0x17, UserCs, 0x246, 0x7FFF_FFFF_E000, 0x2B);

        Assert.Equal(BreakpointVerdict.LegacySystemCall, MisdeliveredSystemCall.ClassifyInvalidOpcode(frame, _virtual));
    }

    [Fact]
    public void A_real_UD_in_user_mode_is_genuine()
    {
        byte[] frame = Frame(UserCode + 0x19, UserCs, 0x246, 0x7FFF_FFFF_E000, 0x2B); // ud2

        Assert.Equal(BreakpointVerdict.GenuineException, MisdeliveredSystemCall.ClassifyInvalidOpcode(frame, _virtual));
    }

    [Fact]
    public void Int80_bytes_at_CPL0_are_genuine()
    {
        byte[] frame = Frame(UserCode + 0x17, KernelCs, 0x46, 0xFFFF_C900_0000_0000, 0x18);

        Assert.Equal(BreakpointVerdict.GenuineException, MisdeliveredSystemCall.ClassifyInvalidOpcode(frame, _virtual));
    }

    [Fact]
    public void A_UD_at_an_unmapped_RIP_is_genuine()
    {
        byte[] frame = Frame(0x7000_0000_0000, UserCs, 0x246, 0x7FFF_FFFF_E000, 0x2B);

        Assert.Equal(BreakpointVerdict.GenuineException, MisdeliveredSystemCall.ClassifyInvalidOpcode(frame, _virtual));
    }

    [Theory]
    [InlineData(0x0000_0246ul, 0x0004_7700ul, 0x0000_0046ul)] // Linux's SFMASK clears IF (and TF, DF, AC, NT...)
    [InlineData(0x0001_0202ul, 0ul, 0x0000_0202ul)]           // RF cleared even with an empty mask
    [InlineData(0x0004_0A03ul, 0x0004_0000ul, 0x0000_0A03ul)]
    [InlineData(0ul, 0ul, 0x2ul)]                             // bit 1 always reads as one
    public void System_call_entry_flags_apply_SFMASK_and_clear_RF(ulong user, ulong mask, ulong expected)
    {
        Assert.Equal(expected, MisdeliveredSystemCall.SystemCallEntryFlags(user, mask));
    }

    [Fact]
    public void Frame_slots_are_little_endian_quadwords()
    {
        byte[] frame = Frame(1, 0x1122_3344_5566_7788, 3);

        Assert.Equal(0x1122_3344_5566_7788ul, MisdeliveredSystemCall.Read(frame, 1));
    }
}
