using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>What the core does for the interrupt controller beside it: the interrupt-window exit,
/// CPUID's APIC and TSC-deadline bits and the TSC and APIC MSRs once a local APIC is connected,
/// and MOV to/from the debug registers that Linux saves and clears at every CPU bring-up.</summary>
public sealed class LocalApicConnectionTests
{
    private sealed class FakeApic : ILocalApicConnection
    {
        public ulong Tsc { get; set; } = 1_000_000;
        public ulong ApicBase { get; private set; } = 0xFEE0_0900;
        public ulong TscDeadline { get; set; }
        public ulong TaskPriorityClass { get; set; }
        public ulong ReadTimeStampCounter() => Tsc;
        public bool TryWriteApicBase(ulong value)
        {
            if ((value & 1ul << 10) != 0)
            {
                return false;
            }
            ApicBase = value;
            return true;
        }
    }

    [Fact]
    public void An_interrupt_window_exit_waits_for_sti_and_its_shadow()
    {
        using var machine = new LongModeMachine();
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.cli();
            a.nop();
            a.nop();
            a.sti();
            a.mov(rbx, 1); // the STI shadow: runs before the window opens
            a.mov(rcx, 2);
            a.hlt();
        });
        var cpu = machine.Cpu;
        cpu.Rflags = 2 | 1 << 9;

        cpu.RequestInterruptWindowExit();
        var exit = cpu.Run(1000);

        Assert.Equal(CpuExitReason.InterruptWindow, exit.Reason); // IF was set on entry: at once
        exit = cpu.Run(1000);
        Assert.Equal(CpuExitReason.Halt, exit.Reason);

        machine.Cpu.Rip = LongModeMachine.KernelCode;
        cpu.Halted = false;
        cpu.Rflags = 2;
        machine.Cpu.SetRegister(GeneralRegister.Rbx, 0);
        machine.Cpu.SetRegister(GeneralRegister.Rcx, 0);
        cpu.RequestInterruptWindowExit();
        exit = cpu.Run(1000);
        Assert.Equal(CpuExitReason.InterruptWindow, exit.Reason);
        Assert.Equal(1ul, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(0ul, machine.Register(GeneralRegister.Rcx));
    }

    [Fact]
    public void CPUID_advertises_the_APIC_and_TSC_deadline_only_with_a_local_APIC_connected()
    {
        using var machine = new LongModeMachine();
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(eax, 1);
            a.cpuid();
            a.hlt();
        });
        machine.Cpu.Run(100);
        Assert.Equal(0ul, machine.Register(GeneralRegister.Rdx) & 1 << 9);
        Assert.Equal(0ul, machine.Register(GeneralRegister.Rcx) & 1 << 24);

        machine.Cpu.ConnectLocalApic(new FakeApic());
        machine.Cpu.Rip = LongModeMachine.KernelCode;
        machine.Cpu.Halted = false;
        machine.Cpu.Run(100);
        Assert.NotEqual(0ul, machine.Register(GeneralRegister.Rdx) & 1 << 9);
        Assert.NotEqual(0ul, machine.Register(GeneralRegister.Rcx) & 1 << 24);
    }

    [Fact]
    public void With_a_local_APIC_the_TSC_reads_its_clock_and_its_MSRs_reach_it()
    {
        using var machine = new LongModeMachine();
        var apic = new FakeApic { Tsc = 0x1234_5678_9ABC };
        machine.Cpu.ConnectLocalApic(apic);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.rdtsc();
            a.mov(rbx, rax);
            a.mov(rsi, rdx);
            a.mov(ecx, 0x6E0);
            a.mov(eax, 0x5555);
            a.mov(edx, 1);
            a.wrmsr();
            a.hlt();
        });
        machine.Cpu.Run(100);

        Assert.Equal(0x5678_9ABCul, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(0x1234ul, machine.Register(GeneralRegister.Rsi));
        Assert.Equal(0x1_0000_5555ul, apic.TscDeadline);
        Assert.True(machine.Cpu.TryReadMsr(ModelSpecificRegister.ApicBase, out ulong apicBase));
        Assert.Equal(0xFEE0_0900ul, apicBase);
        Assert.False(machine.Cpu.TryWriteMsr(ModelSpecificRegister.ApicBase, apicBase | 1ul << 10));
    }

    [Fact]
    public void With_a_local_APIC_CR8_is_its_task_priority_class()
    {
        using var machine = new LongModeMachine();
        var apic = new FakeApic { TaskPriorityClass = 2 };
        machine.Cpu.ConnectLocalApic(apic);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(rbx, cr8); // the APIC's class: 2
            a.mov(eax, 9);
            a.mov(cr8, rax);
            a.hlt();
        });

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Equal(2ul, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(9ul, apic.TaskPriorityClass);
        Assert.Equal(9ul, machine.Cpu.Cr8);
    }

    [Fact]
    public void Debug_registers_keep_their_values_and_fixed_bits()
    {
        using var machine = new LongModeMachine();
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(rax, 0xFFFF_8000_1234_5678ul);
            a.mov(dr0, rax);
            a.mov(rbx, dr0);
            a.xor(eax, eax);
            a.mov(dr7, rax);
            a.mov(rcx, dr7);
            a.mov(dr6, rax);
            a.mov(rdx, dr6);
            a.hlt();
        });

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Equal(0xFFFF_8000_1234_5678ul, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(0x400ul, machine.Register(GeneralRegister.Rcx));
        Assert.Equal(0xFFFF_0FF0ul, machine.Register(GeneralRegister.Rdx));
    }

    [Fact]
    public void Enabling_a_hardware_breakpoint_stops_as_not_implemented()
    {
        using var machine = new LongModeMachine();
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(eax, 1);
            a.mov(dr7, rax);
            a.hlt();
        });

        var exit = machine.Cpu.Run(100);

        Assert.Equal(CpuExitReason.NotImplemented, exit.Reason);
        Assert.Contains("hardware breakpoints", exit.Description);
    }

    [Fact]
    public void Debug_registers_at_CPL_3_raise_general_protection()
    {
        using var machine = new LongModeMachine();
        machine.MakeUserPage(LongModeMachine.UserCode);
        machine.Assemble(LongModeMachine.UserCode, a => a.mov(rax, dr7));
        machine.EnterUserMode(LongModeMachine.UserCode);

        machine.Cpu.Run(100);

        Assert.Equal(13, machine.VectorFromHaltRip());
    }
}
