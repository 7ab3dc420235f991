using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>Exits to the host: port I/O (with the TSS I/O bitmap at CPL 3), MMIO, SYSCALL/SYSRET,
/// the instruction budget, stop requests, instructions not implemented, invalid encodings.</summary>
public sealed class HostExitTests
{
    [Fact]
    public void Port_reads_exit_and_resume_with_the_value_the_host_gives()
    {
        using var machine = new LongModeMachine();
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(dx, 0x3F8);
            a.mov(eax, 0x1111_1100);
            a.@in(al, dx);
            a.mov(rbx, rax);
            a.@in(eax, 0x71);
            a.mov(rcx, rax);
            a.@out(0x80, al);
            a.hlt();
        });
        var cpu = machine.Cpu;

        var first = cpu.Run(100);
        Assert.Equal((CpuExitReason.PortRead, (ushort)0x3F8, 1), (first.Reason, first.Port, first.Size));
        cpu.CompleteRead(0x5A);
        var second = cpu.Run(100);
        Assert.Equal((CpuExitReason.PortRead, (ushort)0x71, 4), (second.Reason, second.Port, second.Size));
        cpu.CompleteRead(0xDEAD_BEEF);
        var third = cpu.Run(100);
        Assert.Equal((CpuExitReason.PortWrite, (ushort)0x80, 1, 0xEFUL), (third.Reason, third.Port, third.Size, third.Value));
        Assert.Equal(CpuExitReason.Halt, cpu.Run(100).Reason);

        Assert.Equal(0x1111_115AUL, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(0xDEAD_BEEFUL, machine.Register(GeneralRegister.Rcx));
    }

    [Fact]
    public void Mmio_reads_and_writes_outside_ram_exit()
    {
        using var machine = new LongModeMachine();
        // Map linear 0x70000 to physical 0xFEE0_0000 (no RAM there).
        machine.SetPageEntry(0x70000, 0xFEE0_0000 | 3);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(eax, __dword_ptr[0x70020]);
            a.add(__dword_ptr[0x70030], eax);
            a.hlt();
        });
        var cpu = machine.Cpu;

        var read = cpu.Run(100);
        Assert.Equal((CpuExitReason.MmioRead, 0xFEE0_0020UL, 4), (read.Reason, read.Address, read.Size));
        cpu.CompleteRead(5);
        var read2 = cpu.Run(100);
        Assert.Equal((CpuExitReason.MmioRead, 0xFEE0_0030UL, 4), (read2.Reason, read2.Address, read2.Size));
        cpu.CompleteRead(10);
        var write = cpu.Run(100);
        Assert.Equal((CpuExitReason.MmioWrite, 0xFEE0_0030UL, 4, 15UL), (write.Reason, write.Address, write.Size, write.Value));
        Assert.Equal(CpuExitReason.Halt, cpu.Run(100).Reason);
    }

    [Fact]
    public void User_port_access_denied_by_the_tss_bitmap_raises_general_protection()
    {
        using var machine = new LongModeMachine();
        machine.WriteBytes(LongModeMachine.IoBitmap + 0x3F8 / 8, [0x01]);
        machine.Assemble(LongModeMachine.UserCode, a =>
        {
            a.@out(0x80, al);
            a.mov(dx, 0x3F8);
            a.@out(dx, al);
        });
        machine.EnterUserMode(LongModeMachine.UserCode);

        var allowed = machine.Cpu.Run(100);
        Assert.Equal((CpuExitReason.PortWrite, (ushort)0x80), (allowed.Reason, allowed.Port));
        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Equal(13, machine.VectorFromHaltRip());
        Assert.Equal(0UL, machine.ReadUInt64(machine.Register(GeneralRegister.Rsp)));
        Assert.Equal(LongModeMachine.UserCode + 2 + 4, machine.ReadUInt64(machine.Register(GeneralRegister.Rsp) + 8));
    }

    [Fact]
    public void Syscall_and_sysret_round_trip_between_cpl_3_and_cpl_0()
    {
        using var machine = new LongModeMachine();
        const ulong entry = LongModeMachine.KernelCode + 0x400;
        machine.Assemble(entry, a =>
        {
            a.mov(r13, rcx);
            a.mov(r12, r11);
            a.mov(r10, rsp);
            a.add(rax, 1);
            a.swapgs();
            a.swapgs();
            a.sysretq();
        });
        machine.Cpu.TryWriteMsr(ModelSpecificRegister.Lstar, entry);
        machine.Cpu.TryWriteMsr(ModelSpecificRegister.SyscallFlagMask, 0x200);
        machine.Assemble(LongModeMachine.UserCode, a =>
        {
            a.mov(eax, 42);
            a.syscall();
            a.mov(r14, rax);
            a.@out(0x80, al);
        });
        machine.EnterUserMode(LongModeMachine.UserCode);
        machine.Cpu.Rflags = 0x202;

        var exit = machine.Cpu.Run(100);

        Assert.Equal(CpuExitReason.PortWrite, exit.Reason);
        Assert.Equal(43UL, machine.Register(GeneralRegister.R14));
        Assert.Equal(LongModeMachine.UserCode + 7, machine.Register(GeneralRegister.R13));
        Assert.Equal(0x202UL, machine.Register(GeneralRegister.R12) & 0x202);
        Assert.Equal(LongModeMachine.UserStackTop, machine.Register(GeneralRegister.R10));
        Assert.Equal(3, machine.Cpu.Cpl);
        Assert.Equal(LongModeMachine.UserCodeSelector, machine.Cpu.GetSegment(SegmentName.Cs).Selector);
        Assert.Equal(LongModeMachine.UserDataSelector, machine.Cpu.GetSegment(SegmentName.Ss).Selector);
        Assert.Equal(0x200UL, machine.Cpu.Rflags & 0x200);
    }

    [Fact]
    public void An_endless_loop_is_stopped_by_the_budget_and_by_a_stop_request()
    {
        using var machine = new LongModeMachine();
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            var loop = a.CreateLabel();
            a.Label(ref loop);
            a.inc(rax);
            a.jmp(loop);
        });
        var cpu = machine.Cpu;

        Assert.Equal(CpuExitReason.BudgetExhausted, cpu.Run(1_000_001).Reason);
        Assert.Equal(1_000_001UL, cpu.InstructionsRetired);
        Assert.Equal(500_001UL, machine.Register(GeneralRegister.Rax));

        using var timer = new Timer(_ => cpu.RequestStop(), null, 50, Timeout.Infinite);
        Assert.Equal(CpuExitReason.StopRequested, cpu.Run().Reason);
    }

    [Fact]
    public void Self_modifying_code_runs_the_new_bytes()
    {
        using var machine = new LongModeMachine();
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            var patched = a.CreateLabel();
            a.call(patched);
            a.mov(rbx, rax);
            a.lea(rdx, __[patched]);
            a.mov(__byte_ptr[rdx + 1], 2);
            a.call(patched);
            a.mov(rcx, rax);
            a.hlt();
            a.Label(ref patched);
            a.mov(eax, 1);
            a.ret();
        });

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Equal(1UL, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(2UL, machine.Register(GeneralRegister.Rcx));

        // A write by the host (a device, a loader) is seen too.
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(esi, 99);
            a.hlt();
        });
        machine.Cpu.Halted = false;
        machine.Cpu.Rip = LongModeMachine.KernelCode;
        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Equal(99UL, machine.Register(GeneralRegister.Rsi));
    }

    [Fact]
    public void Code_rewritten_with_the_same_bytes_runs_again_and_any_changed_byte_of_a_block_is_seen()
    {
        using var machine = new LongModeMachine();
        void Program(int second) => machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(eax, 1);
            a.mov(ebx, second);
            a.hlt();
        });
        ulong RunFromStart()
        {
            machine.Cpu.Halted = false;
            machine.Cpu.Rip = LongModeMachine.KernelCode;
            Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
            return machine.Register(GeneralRegister.Rbx);
        }
        Program(2);
        Assert.Equal(2UL, RunFromStart());

        Program(2); // the same bytes again: the decoded block is taken back
        Assert.Equal(2UL, RunFromStart());
        Assert.Equal(1UL, machine.Register(GeneralRegister.Rax));

        Program(3); // a byte inside the block, past its first instruction
        Assert.Equal(3UL, RunFromStart());

        Program(2); // back to bytes a dropped block was decoded from, after another decode
        Assert.Equal(2UL, RunFromStart());
    }

    [Fact]
    public void A_valid_instruction_not_implemented_stops_with_its_disassembly_and_an_invalid_one_raises_ud()
    {
        using var machine = new LongModeMachine();
        machine.Cpu.Cr4 |= 1 << 9; // OSFXSR: SSE instructions are not #UD
        machine.Assemble(LongModeMachine.KernelCode, a => a.haddps(xmm0, xmm1)); // SSE3: not implemented (CPUID does not report it)

        var exit = machine.Cpu.Run(100);

        Assert.Equal(CpuExitReason.NotImplemented, exit.Reason);
        Assert.Contains("haddps xmm0,xmm1", exit.Description, StringComparison.Ordinal);
        Assert.Equal(LongModeMachine.KernelCode, machine.Cpu.Rip);

        machine.WriteBytes(LongModeMachine.KernelCode, [0xF0, 0x90]); // lock nop: invalid
        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Equal(6, machine.VectorFromHaltRip());
    }
}
