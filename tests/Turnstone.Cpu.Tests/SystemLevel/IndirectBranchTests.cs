using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>
/// JMP and CALL through memory. Iced gives these operands the "offset" memory sizes (QwordOffset,
/// DwordOffset), not the integer ones, so they once decoded as "not implemented"; the system-level
/// guests compared with QEMU found it.
/// </summary>
public sealed class IndirectBranchTests
{
    [Fact]
    public void Jmp_and_call_through_a_64_bit_memory_operand_reach_their_targets()
    {
        using var machine = new LongModeMachine();
        const ulong jumpSlot = LongModeMachine.DataPage, callSlot = LongModeMachine.DataPage + 8;
        const ulong jumpTarget = LongModeMachine.KernelCode + 0x100, callTarget = LongModeMachine.KernelCode + 0x200;
        machine.WriteUInt64(jumpSlot, jumpTarget);
        machine.WriteUInt64(callSlot, callTarget);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(rsp, LongModeMachine.KernelStackTop);
            a.jmp(__qword_ptr[(uint)jumpSlot]);
        });
        machine.Assemble(jumpTarget, a =>
        {
            a.mov(ebx, 0x11);
            a.mov(rax, callSlot);
            a.call(__qword_ptr[rax]);
            a.hlt();
        });
        machine.Assemble(callTarget, a =>
        {
            a.mov(ecx, 0x22);
            a.ret();
        });

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Equal(0x11UL, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(0x22UL, machine.Register(GeneralRegister.Rcx));
        Assert.Equal(LongModeMachine.KernelStackTop, machine.Register(GeneralRegister.Rsp));
    }
}
