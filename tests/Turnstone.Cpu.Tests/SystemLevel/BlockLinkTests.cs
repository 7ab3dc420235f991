using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>
/// Links between blocks stand for the jump cache of one privilege: one made while the kernel ran a
/// block is not followed when user code runs the same block.
/// </summary>
public sealed class BlockLinkTests
{
    private const ulong SupervisorTarget = LongModeMachine.KernelCode + 0x1000;

    [Fact]
    public void A_link_made_at_CPL_0_is_not_followed_at_CPL_3()
    {
        using var machine = new LongModeMachine();
        // A user page whose code jumps into a supervisor-only page: fine at CPL 0, #PF at CPL 3.
        machine.Assemble(LongModeMachine.UserCode, a => a.jmp(SupervisorTarget));
        machine.Assemble(SupervisorTarget, a =>
        {
            a.inc(r8);
            a.cmp(r8, 3);
            var toUser = a.CreateLabel();
            a.je(toUser);
            a.jmp(LongModeMachine.UserCode); // again at CPL 0: the link is made and followed
            a.Label(ref toUser);
            a.mov(rcx, LongModeMachine.UserCode);
            a.mov(r11, 2);
            a.sysretq();
        });
        machine.Assemble(LongModeMachine.KernelCode, a => a.jmp(LongModeMachine.UserCode));

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(1000).Reason);
        Assert.Equal<int?>((int)ExceptionVector.PageFault, machine.VectorFromHaltRip());
        Assert.Equal(3ul, machine.Register(GeneralRegister.R8));
        Assert.Equal(SupervisorTarget, machine.Cpu.Cr2);
    }
}
