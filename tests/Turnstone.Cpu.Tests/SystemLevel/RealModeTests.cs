using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>Real mode: segment arithmetic (base = selector * 16), 16-bit address wrap, INT n
/// through the IVT and IRET, the switch to protected mode and back, and "unreal" segment limits.</summary>
public sealed class RealModeTests
{
    private const ulong BootSector = 0x7C00;
    private const ulong ProtectedEntry = 0x7D00;
    private const ulong Protected16Entry = 0x7D80;
    private const ulong RealAgain = 0x7E00;
    private const ulong InterruptHandler = 0x8000;

    [Fact]
    public void The_reset_states_are_the_architectural_ones()
    {
        using var machine = new LegacyModeMachine();
        machine.Cpu.ResetArchitectural();
        Assert.Equal(0xF000, machine.Cpu.GetSegment(SegmentName.Cs).Selector);
        Assert.Equal(0xFFFF_0000UL, machine.Cpu.GetSegment(SegmentName.Cs).Base);
        Assert.Equal(0xFFF0UL, machine.Cpu.Rip);
        Assert.Equal(0x6000_0010UL, machine.Cpu.Cr0);
        Assert.Equal(2UL, machine.Cpu.Rflags);

        machine.Cpu.ResetForBootSector();
        Assert.Equal(0UL, machine.Cpu.GetSegment(SegmentName.Cs).Base);
        Assert.Equal(BootSector, machine.Cpu.Rip);
        Assert.Equal(0x80UL, machine.Register(GeneralRegister.Rdx));
        Assert.Equal(new DescriptorTableRegister(0, 0x3FF), machine.Cpu.Idtr);
    }

    [Fact]
    public void Real_mode_code_uses_segment_bases_wraps_offsets_and_takes_int_n_through_the_ivt()
    {
        using var machine = new LegacyModeMachine();
        machine.Cpu.ResetForBootSector();
        machine.WriteBytes(0x10001, [0x77]);
        machine.WriteUInt16(0x21 * 4, 0x0000);
        machine.WriteUInt16(0x21 * 4 + 2, (ushort)(InterruptHandler >> 4));
        machine.Assemble(InterruptHandler, 16, a =>
        {
            a.mov(dx, 0x5A5A);
            a.pushf();
            a.pop(si);           // IF and TF cleared by the interrupt
            a.iret();
        });
        machine.Assemble(BootSector, 16, a =>
        {
            a.xor(ax, ax);
            a.mov(ss, ax);
            a.mov(sp, 0x7000);
            a.sti();
            a.mov(ax, 0x1000);
            a.mov(ds, ax);
            a.mov(__word_ptr[0x10], 0xBEEF);    // 0x10010
            a.mov(bx, 0xFFFF);
            a.mov(cl, __byte_ptr[bx + 2]);      // wraps to DS:0001 = 0x10001
            a.@int(0x21);
            a.mov(__word_ptr[0x20], dx);        // 0x10020
            a.pushf();
            a.pop(di);
            a.push(0x1234);
            a.pusha();
            a.popa();
            a.pop(bp);
            a.hlt();
        });

        var exit = machine.Cpu.Run(1000);

        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal(0xBEEF, machine.ReadUInt16(0x10010));
        Assert.Equal(0x77UL, machine.Register(GeneralRegister.Rcx) & 0xFF);
        Assert.Equal(0x5A5A, machine.ReadUInt16(0x10020));
        Assert.Equal(0UL, machine.Register(GeneralRegister.Rsi) & 0x300);   // in the handler: IF, TF clear
        Assert.Equal(0x200UL, machine.Register(GeneralRegister.Rdi) & 0x200); // after IRET: IF back
        Assert.Equal(0x1234UL, machine.Register(GeneralRegister.Rbp));
        Assert.Equal(0x7000UL, machine.Register(GeneralRegister.Rsp));
        Assert.Equal(0x1000_0UL, machine.Cpu.GetSegment(SegmentName.Ds).Base);
    }

    [Fact]
    public void Real_mode_switches_to_protected_mode_and_back_keeping_an_unreal_segment_limit()
    {
        using var machine = new LegacyModeMachine();
        machine.Cpu.ResetForBootSector();
        machine.WriteUInt32(0x10_0000, 0xDEAD_BEEF);
        machine.Assemble(BootSector, 16, a =>
        {
            a.xor(ax, ax);
            a.mov(ds, ax);
            a.lgdt(__fword_ptr[(uint)LegacyModeMachine.GdtPointer]);
            a.mov(eax, cr0);
            a.or(al, 1);
            a.mov(cr0, eax);
            a.jmp(LegacyModeMachine.Code32Selector, (uint)ProtectedEntry);
        });
        machine.Assemble(ProtectedEntry, 32, a =>
        {
            a.mov(ax, LegacyModeMachine.Data32Selector);
            a.mov(ds, ax);
            a.mov(fs, ax);                       // 4 GiB limit, kept in real mode
            a.mov(__dword_ptr[(uint)LegacyModeMachine.DataPage], 0x3232_3232);
            a.jmp(LegacyModeMachine.Code16Selector, (uint)Protected16Entry);
        });
        machine.Assemble(Protected16Entry, 16, a =>
        {
            a.mov(ax, LegacyModeMachine.Data16Selector);
            a.mov(ds, ax);
            a.mov(eax, cr0);
            a.and(al, 0xFE);
            a.mov(cr0, eax);
            a.jmp(0, (uint)RealAgain);
        });
        machine.Assemble(RealAgain, 16, a =>
        {
            a.xor(ax, ax);
            a.mov(fs, ax);
            a.mov(ax, 0x2000);
            a.mov(ds, ax);
            a.mov(__word_ptr[0x4], 0x1616);      // 0x20004
            a.mov(ebx, 0x10_0000);
            a.mov(edx, __dword_ptr.fs[ebx]);     // unreal: past 64 KiB through FS's cached limit
            a.hlt();
        });

        var exit = machine.Cpu.Run(1000);

        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal(0x3232_3232U, machine.ReadUInt32(LegacyModeMachine.DataPage));
        Assert.Equal(0x1616, machine.ReadUInt16(0x20004));
        Assert.Equal(0xDEAD_BEEFUL, machine.Register(GeneralRegister.Rdx));
        Assert.Equal(0UL, machine.Cpu.Cr0 & 1);
        Assert.Equal(0x2_0000UL, machine.Cpu.GetSegment(SegmentName.Ds).Base);
    }
}
