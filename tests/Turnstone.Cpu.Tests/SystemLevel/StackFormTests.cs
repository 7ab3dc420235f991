using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>64-bit code's less common stack forms: 16-bit PUSH/POP/PUSHF and ENTER with a nesting level.</summary>
public sealed class StackFormTests
{
    [Fact]
    public void Sixteen_bit_push_and_pop_move_rsp_by_two_and_merge_into_the_register()
    {
        using var machine = new LongModeMachine();
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(rbx, unchecked((long)0xFFFF_FFFF_FFFF_FFFF));
            a.mov(eax, 0x1234);
            a.push(ax);
            a.mov(rcx, rsp);
            a.db(0x66, 0x9C); // pushf (16-bit)
            a.db(0x66, 0x9D); // popf (16-bit)
            a.pop(bx);
            a.hlt();
        });

        var exit = machine.Cpu.Run(100);

        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal(LongModeMachine.KernelStackTop - 2, machine.Register(GeneralRegister.Rcx));
        Assert.Equal(0xFFFF_FFFF_FFFF_1234UL, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(LongModeMachine.KernelStackTop, machine.Register(GeneralRegister.Rsp));
    }

    [Fact]
    public void Enter_with_a_nesting_level_copies_the_outer_frame_pointers()
    {
        using var machine = new LongModeMachine();
        const ulong outerFrame = LongModeMachine.KernelStackTop - 0x1000;
        machine.WriteUInt64(outerFrame - 8, 0xAAAA);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(rbp, outerFrame);
            a.enter(16, 2);
            a.hlt();
        });

        var exit = machine.Cpu.Run(100);

        ulong top = LongModeMachine.KernelStackTop;
        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal(outerFrame, machine.ReadUInt64(top - 8));
        Assert.Equal(0xAAAAUL, machine.ReadUInt64(top - 16));
        Assert.Equal(top - 8, machine.ReadUInt64(top - 24));
        Assert.Equal(top - 8, machine.Register(GeneralRegister.Rbp));
        Assert.Equal(top - 24 - 16, machine.Register(GeneralRegister.Rsp));
    }

    [Fact]
    public void Indirect_jumps_and_calls_through_memory_reach_their_targets()
    {
        using var machine = new LongModeMachine();
        const ulong function = LongModeMachine.KernelCode + 0x100;
        const ulong next = LongModeMachine.KernelCode + 0x200;
        machine.WriteUInt64(LongModeMachine.DataPage, function);
        machine.WriteUInt64(LongModeMachine.DataPage + 8, next);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(rbx, LongModeMachine.DataPage);
            a.call(__qword_ptr[rbx]);
            a.jmp(__qword_ptr[rbx + 8]);
        });
        machine.Assemble(function, a =>
        {
            a.mov(eax, 0x55);
            a.ret();
        });
        machine.Assemble(next, a => a.hlt());

        var exit = machine.Cpu.Run(100);

        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal(0x55UL, machine.Register(GeneralRegister.Rax));
        Assert.Equal(next + 1, machine.Cpu.Rip);
    }
}
