using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>
/// The TLB's sets are as large as the CPU's creator asks (Linux machines take more entries than
/// components): pages 1 MiB apart share a slot in a 256-entry set and not in a 1,024-entry one, and
/// at either size each reads its own frame, INVLPG drops the one it names and a CR3 write the rest,
/// and a write to a read-only page still faults (the walk knows a write set from a read set).
/// </summary>
public sealed class TlbSizeTests
{
    private const ulong First = 0x20000, Second = First + 0x10_0000;
    private const ulong FirstNew = 0x30000, SecondNew = 0x13_0000, ReadOnly = 0x50000;

    [Theory]
    [InlineData(16)]
    [InlineData(SoftwareCpu.DefaultTlbEntries)]
    [InlineData(SoftwareCpu.BroadCodeTlbEntries)]
    public void Pages_sharing_a_slot_or_not_read_their_own_frames_until_invlpg_or_a_cr3_write_remaps_them(int tlbEntries)
    {
        using var machine = new LongModeMachine(tlbEntries);
        machine.SetPageEntry(ReadOnly, ReadOnly | 1);
        foreach (ulong frame in new[] { First, Second, FirstNew, SecondNew })
        {
            machine.WriteUInt64(frame, frame >> 12);
        }
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(r8, __qword_ptr[First]);
            a.mov(r9, __qword_ptr[Second]);
            a.mov(r10, __qword_ptr[First]);
            a.mov(rax, SecondNew | 3);
            a.mov(__qword_ptr[LongModeMachine.PageTable + (Second >> 12) * 8], rax);
            a.invlpg(__[Second]);
            a.mov(r12, __qword_ptr[Second]);
            a.mov(rax, FirstNew | 3);
            a.mov(__qword_ptr[LongModeMachine.PageTable + (First >> 12) * 8], rax);
            a.mov(rax, cr3);
            a.mov(cr3, rax);
            a.mov(r13, __qword_ptr[First]);
            a.mov(r14, __qword_ptr[ReadOnly]);
            a.mov(__qword_ptr[ReadOnly], rax);
            a.hlt();
        });

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Equal<int?>((int)ExceptionVector.PageFault, machine.VectorFromHaltRip());
        Assert.Equal(ReadOnly, machine.Cpu.Cr2);

        Assert.Equal(First >> 12, machine.Register(GeneralRegister.R8));
        Assert.Equal(Second >> 12, machine.Register(GeneralRegister.R9));
        Assert.Equal(First >> 12, machine.Register(GeneralRegister.R10));
        Assert.Equal(SecondNew >> 12, machine.Register(GeneralRegister.R12));
        Assert.Equal(FirstNew >> 12, machine.Register(GeneralRegister.R13));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(1000)]
    public void A_set_size_that_is_no_power_of_two_of_at_least_16_is_refused(int tlbEntries)
    {
        using var memory = GuestPhysicalMemory.Allocate((0, 1 << 20));
        var refused = Assert.Throws<ArgumentOutOfRangeException>(() => new SoftwareCpu(memory, tlbEntries: tlbEntries));
        Assert.Equal("tlbEntries", refused.ParamName);
    }
}
