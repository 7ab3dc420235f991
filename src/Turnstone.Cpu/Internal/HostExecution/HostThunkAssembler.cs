using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Turnstone.Cpu.Internal.HostExecution.FloatingPointStateLayout;

namespace Turnstone.Cpu.Internal.HostExecution;

/// <summary>Builds the host code around one rewritten instruction (see <see cref="HostInstructionTable"/>).</summary>
internal static class HostThunkAssembler
{
    /// <summary>
    /// The thunk (System V: the state block in RDI): save the host's MXCSR (and x87 control word),
    /// load the guest's x87 image and run-MXCSR, the operands, run the instruction, store the
    /// operands, flags and state back, and leave the host's x87 and SSE control as they were with
    /// an empty x87 stack, as the ABI expects.
    /// </summary>
    public static byte[]? Assemble(Instruction rewritten, in HostInstruction shape)
    {
        bool x87 = (shape.Class & HostInstructionClass.UsesX87State) != 0;
        bool general = HostInstructionTable.HasGeneral(shape);
        bool generalWritten = shape.Role0 == HostOperandRole.GeneralWritten || shape.Role1 == HostOperandRole.GeneralWritten;
        var a = new Assembler(64);
        a.mov(r11, rdi);
        a.stmxcsr(__dword_ptr[r11 + HostMxcsr]);
        if (x87)
        {
            a.fnstcw(__word_ptr[r11 + HostControlWord]);
            a.fxrstor64(__[r11 + Image]);
        }
        a.ldmxcsr(__dword_ptr[r11 + RunMxcsr]);
        for (int slot = 0; slot < 2; slot++)
        {
            if ((slot == 0 ? shape.Role0 : shape.Role1) == HostOperandRole.Xmm)
            {
                a.movdqu(slot == 0 ? xmm0 : xmm1, __xmmword_ptr[r11 + XmmSlot0 + 16 * slot]);
            }
        }
        if (general)
        {
            a.mov(rax, __qword_ptr[r11 + GeneralOperand]);
        }
        if (shape.FlagsRead)
        {
            a.push(__qword_ptr[r11 + FlagsIn]);
            a.popfq();
        }
        a.AddInstruction(rewritten);
        if (shape.FlagsWritten)
        {
            a.pushfq();
            a.pop(rcx);
            a.mov(__qword_ptr[r11 + FlagsOut], rcx);
        }
        if (generalWritten)
        {
            a.mov(__qword_ptr[r11 + GeneralOperand], rax);
        }
        for (int slot = 0; slot < 2; slot++)
        {
            if ((slot == 0 ? shape.Role0 : shape.Role1) == HostOperandRole.Xmm)
            {
                a.movdqu(__xmmword_ptr[r11 + XmmSlot0 + 16 * slot], slot == 0 ? xmm0 : xmm1);
            }
        }
        a.stmxcsr(__dword_ptr[r11 + RunMxcsr]);
        if (x87)
        {
            a.fxsave64(__[r11 + Image]);
            a.fninit();
            a.fldcw(__word_ptr[r11 + HostControlWord]);
        }
        a.ldmxcsr(__dword_ptr[r11 + HostMxcsr]);
        a.ret();
        try
        {
            using var stream = new MemoryStream();
            a.Assemble(new StreamCodeWriter(stream), 0);
            return stream.ToArray();
        }
        catch (InvalidOperationException)
        {
            return null; // an operand combination the encoder cannot express after rewriting
        }
    }
}
