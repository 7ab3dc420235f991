using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>
/// An instruction that crosses a page end is decoded with the bytes of the page mapped after it.
/// Blocks are cached by their first byte's physical address, so the same first page mapped
/// elsewhere, with another page (or none) after it, must not run the instruction decoded before.
/// </summary>
public sealed class PageCrossingCodeTests
{
    private const ulong FirstFrame = 0x81000;
    private const ulong SecondFrame = 0x82000;
    private const ulong OtherSecondFrame = 0x83000;
    private const ulong Mapping = 0x90000;
    private const ulong OtherMapping = 0x94000;

    /// <summary>mov eax, imm32 at the first frame's offset FFDh: the opcode and two immediate bytes
    /// there, the other two (11h 11h, or 22h 22h in the other frame) and a ret on the next page.</summary>
    private static void WriteCrossingInstruction(TestMachine machine, ulong first, ulong second, ulong otherSecond)
    {
        machine.WriteBytes(first + 0xFFD, [0xB8, 0x00, 0x00]);
        machine.WriteBytes(second, [0x11, 0x11, 0xC3]);
        machine.WriteBytes(otherSecond, [0x22, 0x22, 0xC3]);
    }

    private static LongModeMachine MachineWithTwoMappings(ulong otherSecondEntry)
    {
        var machine = new LongModeMachine();
        machine.SetPageEntry(Mapping, FirstFrame | 3);
        machine.SetPageEntry(Mapping + 0x1000, SecondFrame | 3);
        machine.SetPageEntry(OtherMapping, FirstFrame | 3);
        machine.SetPageEntry(OtherMapping + 0x1000, otherSecondEntry);
        WriteCrossingInstruction(machine, FirstFrame, SecondFrame, OtherSecondFrame);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(rbx, Mapping + 0xFFD);
            a.call(rbx);
            a.mov(r8, rax);
            a.mov(rbx, OtherMapping + 0xFFD);
            a.call(rbx);
            a.mov(r9, rax);
            a.hlt();
        });
        return machine;
    }

    [Fact]
    public void The_instruction_reads_the_page_mapped_after_it_in_each_mapping()
    {
        using var machine = MachineWithTwoMappings(OtherSecondFrame | 3);

        CallResults.AssertHaltsWith(machine, 0x1111_0000ul, 0x2222_0000ul);
    }

    [Fact]
    public void Where_no_page_follows_the_fetch_faults_on_it()
    {
        using var machine = MachineWithTwoMappings(0);

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(1000).Reason);
        Assert.Equal(0x1111_0000ul, machine.Register(GeneralRegister.R8));
        Assert.Equal<int?>((int)ExceptionVector.PageFault, machine.VectorFromHaltRip());
        Assert.Equal(OtherMapping + 0x1000, machine.Cpu.Cr2);
    }

    [Fact]
    public void In_32_bit_code_too_the_instruction_reads_the_page_mapped_after_it()
    {
        using var machine = new LegacyModeMachine();
        machine.EnterProtectedMode32();
        const ulong directory = 0x80000, table = 0x81000;
        const ulong first = 0x84000, second = 0x85000, otherSecond = 0x86000;
        const uint mappedAt = 0x4000_0000;
        // A 4 MiB identity page (CR4.PSE) for code and stack, a page table for 1 GiB up.
        machine.WriteUInt32(directory, 0x83);
        machine.WriteUInt32(directory + (mappedAt >> 22) * 4, (uint)table | 3);
        machine.WriteUInt32(table, (uint)first | 3);
        machine.WriteUInt32(table + 4, (uint)second | 3);
        machine.WriteUInt32(table + 16, (uint)first | 3);
        machine.WriteUInt32(table + 20, (uint)otherSecond | 3);
        WriteCrossingInstruction(machine, first, second, otherSecond);
        machine.Assemble(LegacyModeMachine.Code, 32, a =>
        {
            a.mov(eax, 1 << 4);
            a.mov(cr4, eax);
            a.mov(eax, (uint)directory);
            a.mov(cr3, eax);
            a.mov(eax, cr0);
            a.or(eax, unchecked((int)0x8000_0000));
            a.mov(cr0, eax);
            a.mov(ebx, mappedAt + 0xFFD);
            a.call(ebx);
            a.mov(esi, eax);
            a.mov(ebx, mappedAt + 0x4FFD);
            a.call(ebx);
            a.mov(edi, eax);
            a.hlt();
        });

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(1000).Reason);
        Assert.Equal(0x1111_0000ul, machine.Register(GeneralRegister.Rsi));
        Assert.Equal(0x2222_0000ul, machine.Register(GeneralRegister.Rdi));
    }
}
