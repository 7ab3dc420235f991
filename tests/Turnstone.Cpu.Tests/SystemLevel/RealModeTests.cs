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

    [Fact]
    public void Real_mode_far_calls_pointer_loads_loops_and_frames_use_16_bit_forms()
    {
        using var machine = new LegacyModeMachine();
        machine.Cpu.ResetForBootSector();
        const ulong farFunction = 0x9010; // 0900:0010
        machine.WriteUInt16(0x500, 0x1234);  // far pointer 3000:1234 for LES
        machine.WriteUInt16(0x502, 0x3000);
        machine.WriteUInt16(0x3_0000 + 0x6 + 0x1FF0, 0xAAAA); // SS:[BP+SI] with SS = 3000
        machine.Assemble(farFunction, 16, a =>
        {
            a.enter(4, 0);
            a.mov(__word_ptr[bp - 2], 0x4242);
            a.mov(ax, __word_ptr[bp - 2]);
            a.leave();
            a.retf();
        });
        machine.Assemble(BootSector, 16, a =>
        {
            var loop = a.CreateLabel();
            var skipped = a.CreateLabel();
            a.xor(ax, ax);
            a.mov(ds, ax);
            a.les(di, __dword_ptr[0x500]);
            a.mov(ax, 0x3000);
            a.mov(ss, ax);
            a.mov(sp, 0x8000);
            a.mov(bp, 0x1FF0);
            a.mov(si, 6);
            a.mov(dx, __word_ptr[bp + si]);      // SS-relative
            a.call(0x0900, 0x0010);
            a.mov(bx, 0);
            a.mov(ecx, 0x1_0003);                // LOOP counts CX only
            a.Label(ref loop);
            a.inc(bx);
            a.loop(loop);
            a.jcxz(skipped);
            a.mov(bx, 0xBAD);
            a.Label(ref skipped);
            a.hlt();
        });

        var exit = machine.Cpu.Run(1000);

        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal(0x1234UL, machine.Register(GeneralRegister.Rdi));
        Assert.Equal(0x3_0000UL, machine.Cpu.GetSegment(SegmentName.Es).Base);
        Assert.Equal(0xAAAAUL, machine.Register(GeneralRegister.Rdx));
        Assert.Equal(0x4242UL, machine.Register(GeneralRegister.Rax));
        Assert.Equal(3UL, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(0x1_0000UL, machine.Register(GeneralRegister.Rcx));
        Assert.Equal(0x8000UL, machine.Register(GeneralRegister.Rsp));
        Assert.Equal(0x1FF0UL, machine.Register(GeneralRegister.Rbp));
    }

    [Fact]
    public void A_real_mode_divide_error_and_an_external_interrupt_go_through_the_ivt()
    {
        using var machine = new LegacyModeMachine();
        machine.Cpu.ResetForBootSector();
        machine.WriteUInt32(0 * 4, (0x0800u << 16) | 0x0000);   // #DE -> 0800:0000
        machine.WriteUInt32(0x30 * 4, (0x0800u << 16) | 0x0020); // vector 0x30 -> 0800:0020
        machine.Assemble(InterruptHandler, 16, a =>
        {
            a.mov(si, sp);
            a.mov(cx, 0x0DE0);
            a.hlt();
        });
        machine.Assemble(InterruptHandler + 0x20, 16, a =>
        {
            a.mov(dx, 0x3030);
            a.iret();
        });
        machine.Assemble(BootSector, 16, a =>
        {
            var spin = a.CreateLabel();
            a.sti();
            a.mov(ax, 1);
            a.Label(ref spin);
            a.cmp(dx, 0x3030);
            a.jne(spin);
            a.xor(bl, bl);
            a.div(bl);
        });

        var exit = machine.Cpu.Run(100);
        Assert.Equal(CpuExitReason.BudgetExhausted, exit.Reason);
        machine.Cpu.RequestInterrupt(0x30);
        exit = machine.Cpu.Run(1000);

        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal(0x0DE0UL, machine.Register(GeneralRegister.Rcx));
        ulong frame = machine.Register(GeneralRegister.Rsi);
        Assert.Equal(0x7C00UL - 6, frame);
        ulong faultIp = machine.ReadUInt16(frame);
        Assert.Equal(0x7C00UL + 1 + 3 + 4 + 2 + 2, faultIp);      // the DIV itself
        Assert.Equal(0UL, (ulong)machine.ReadUInt16(frame + 2));  // CS
    }

    [Fact]
    public void A_real_mode_fault_with_no_vector_in_the_ivt_limit_ends_in_a_shutdown()
    {
        using var machine = new LegacyModeMachine();
        machine.Cpu.ResetForBootSector();
        machine.Cpu.Idtr = new DescriptorTableRegister(0, 3); // only vector 0
        machine.Assemble(BootSector, 16, a => a.ud2());

        var exit = machine.Cpu.Run(100);

        Assert.Equal(CpuExitReason.Shutdown, exit.Reason);
    }
}
