using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>
/// Links between blocks stand for the jump cache of one privilege: one made while the kernel ran a
/// block is not followed when user code runs the same block. In 16/32-bit code they also stand for
/// one CS: the same offset means other code under another CS base.
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

    [Fact]
    public void A_real_mode_link_made_under_one_cs_is_not_followed_under_another()
    {
        using var machine = new LegacyModeMachine();
        machine.Cpu.ResetForBootSector();
        // One block at linear 7C00h reached as 0000:7C00 and as 07C0:0000: JMP AX goes to offset
        // 7D00h, which is linear 7D00h under the first CS and F900h under the second.
        machine.Assemble(0x7C00, 16, a => a.jmp(ax));
        machine.Assemble(0x7D00, 16, a =>
        {
            a.inc(bx);
            a.jmp(0x07C0, 0x0000);
        });
        machine.Assemble(0xF900, 16, a =>
        {
            a.mov(cx, 0x2222);
            a.hlt();
        });
        machine.Cpu.SetRegister(GeneralRegister.Rax, 0x7D00);

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(1000).Reason);
        Assert.Equal(0x2222ul, machine.Register(GeneralRegister.Rcx));
        Assert.Equal(1ul, machine.Register(GeneralRegister.Rbx));
    }
}
