using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>Exceptions and interrupts through the 64-bit IDT: the stack switch to RSP0 or an IST
/// stack, error codes and CR2, IRETQ back to CPL 3, INT n's DPL check, the STI shadow, double and
/// triple faults.</summary>
public sealed class ExceptionDeliveryTests
{
    private const ulong Handler = LongModeMachine.KernelCode + 0x800;
    private const ulong ResumeAt = LongModeMachine.UserCode + 0x100;

    /// <summary>A #PF handler that records CR2, the error code and its RSP, then returns to <see cref="ResumeAt"/>.</summary>
    private static void InstallRecordingPageFaultHandler(LongModeMachine machine, int ist)
    {
        machine.Assemble(Handler, a =>
        {
            a.mov(rbx, cr2);
            a.pop(rcx);
            a.mov(rdx, rsp);
            a.mov(rax, ResumeAt);
            a.mov(__qword_ptr[rsp], rax);
            a.iretq();
        });
        machine.SetGate(14, Handler, ist);
        machine.Assemble(LongModeMachine.UserCode, a => a.mov(rax, __qword_ptr[LongModeMachine.DataPage]));
        machine.Assemble(ResumeAt, a =>
        {
            a.mov(r15, 0x1234);
            a.@out(0x80, al);
        });
    }

    [Theory]
    [InlineData(0, LongModeMachine.KernelStackTop)]
    [InlineData(1, LongModeMachine.InterruptStackTop)]
    public void A_user_page_fault_reaches_the_kernel_handler_on_its_stack_and_iretq_returns_to_user_mode(int ist, ulong stackTop)
    {
        using var machine = new LongModeMachine();
        InstallRecordingPageFaultHandler(machine, ist);
        machine.EnterUserMode(LongModeMachine.UserCode);

        var exit = machine.Cpu.Run(1000);

        Assert.Equal(CpuExitReason.PortWrite, exit.Reason);
        Assert.Equal(0x80, exit.Port);
        Assert.Equal(LongModeMachine.DataPage, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(5UL, machine.Register(GeneralRegister.Rcx)); // present | user, a read
        Assert.Equal(stackTop - 40, machine.Register(GeneralRegister.Rdx));
        Assert.Equal(0x1234UL, machine.Register(GeneralRegister.R15));
        Assert.Equal(3, machine.Cpu.Cpl);
        Assert.Equal(LongModeMachine.UserStackTop, machine.Register(GeneralRegister.Rsp));
        Assert.Equal(LongModeMachine.UserDataSelector, machine.Cpu.GetSegment(SegmentName.Ss).Selector);
    }

    [Fact]
    public void Int_n_checks_the_gate_dpl_from_user_mode()
    {
        using var machine = new LongModeMachine();
        machine.Assemble(LongModeMachine.UserCode, a => a.@int(0x80));
        machine.EnterUserMode(LongModeMachine.UserCode);

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Equal(13, machine.VectorFromHaltRip());
        Assert.Equal(0x80UL * 8 + 2, machine.ReadUInt64(machine.Register(GeneralRegister.Rsp)));
        Assert.Equal(LongModeMachine.UserCode, machine.ReadUInt64(machine.Register(GeneralRegister.Rsp) + 8));

        machine.SetGate(0x80, LongModeMachine.HandlerStubs + 0x80 * 16, dpl: 3);
        machine.EnterUserMode(LongModeMachine.UserCode);
        machine.Cpu.Halted = false;
        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Equal(0x80, machine.VectorFromHaltRip());
        Assert.Equal(LongModeMachine.UserCode + 2, machine.ReadUInt64(machine.Register(GeneralRegister.Rsp)));
    }

    [Fact]
    public void An_interrupt_waits_for_the_instruction_after_sti()
    {
        using var machine = new LongModeMachine();
        ulong afterShadow = 0;
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            var next = a.CreateLabel();
            a.mov(eax, 1);
            a.sti();
            a.mov(ebx, 2);
            a.Label(ref next);
            a.mov(ecx, 3);
            a.hlt();
        });
        afterShadow = LongModeMachine.KernelCode + 5 + 1 + 5;
        machine.Cpu.RequestInterrupt(0x40);

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);

        Assert.Equal(0x40, machine.VectorFromHaltRip());
        Assert.Equal(2UL, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(0UL, machine.Register(GeneralRegister.Rcx));
        Assert.Equal(afterShadow, machine.ReadUInt64(machine.Register(GeneralRegister.Rsp)));
        Assert.False(machine.Cpu.InterruptPending);
    }

    [Fact]
    public void Hlt_with_interrupts_enabled_wakes_on_a_requested_interrupt()
    {
        using var machine = new LongModeMachine();
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.sti();
            a.hlt();
            a.mov(ebx, 7);
        });
        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Null(machine.VectorFromHaltRip());

        machine.Cpu.RequestInterrupt(0x41);
        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Equal(0x41, machine.VectorFromHaltRip());
        Assert.Equal(LongModeMachine.KernelCode + 2, machine.ReadUInt64(machine.Register(GeneralRegister.Rsp)));
    }

    [Fact]
    public void A_fault_while_delivering_a_fault_is_a_double_fault_and_then_a_triple_fault_shuts_down()
    {
        using var machine = new LongModeMachine();
        machine.Assemble(LongModeMachine.KernelCode, a => a.ud2());
        // #UD's gate is not present: #NP (contributory) while delivering a benign #UD is delivered as is.
        machine.WriteUInt64(LongModeMachine.Idt + 6 * 16, 0);
        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Equal(13, machine.VectorFromHaltRip());

        // A page fault whose gate points at a missing stack page: #PF while delivering #PF -> #DF.
        machine.Cpu.Halted = false;
        machine.SetGate(14, LongModeMachine.HandlerStubs + 14 * 16, ist: 1);
        machine.SetPageEntry(LongModeMachine.InterruptStackTop - 0x1000, 0);
        machine.Assemble(LongModeMachine.KernelCode, a => a.mov(rax, __qword_ptr[0x1F_0000]));
        machine.SetPageEntry(0x1F_0000, 0);
        machine.Cpu.Rip = LongModeMachine.KernelCode;
        machine.Cpu.SetRegister(GeneralRegister.Rsp, LongModeMachine.KernelStackTop);
        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Equal(8, machine.VectorFromHaltRip());
        Assert.Equal(0UL, machine.ReadUInt64(machine.Register(GeneralRegister.Rsp)));

        // And with the IDT gone entirely: #GP, #DF, then shutdown.
        machine.Cpu.Halted = false;
        machine.Cpu.Idtr = new DescriptorTableRegister(LongModeMachine.Idt, 0);
        machine.Cpu.Rip = LongModeMachine.KernelCode;
        var exit = machine.Cpu.Run(100);
        Assert.Equal(CpuExitReason.Shutdown, exit.Reason);
        Assert.Contains("triple fault", exit.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Divide_error_is_delivered_with_rip_at_the_division()
    {
        using var machine = new LongModeMachine();
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.xor(ecx, ecx);
            a.div(rcx);
        });
        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Equal(0, machine.VectorFromHaltRip());
        Assert.Equal(LongModeMachine.KernelCode + 2, machine.ReadUInt64(machine.Register(GeneralRegister.Rsp)));
    }
}
