using Iced.Intel;
using Turnstone.Cpu.Internal.HostExecution;

namespace Turnstone.Cpu.Internal;

/// <summary>
/// x87, MMX and the SSE/SSE2 instructions the fast SSE paths (<see cref="SseTranslator"/>) leave:
/// the control instructions run by the interpreter, the computation on the host
/// (<see cref="HostInstructionTable"/>).
/// </summary>
internal static class FloatingPointTranslator
{
    public static Operation Translate(in Instruction instruction, ref DecodedInstruction decoded)
    {
        if (instruction.Encoding != EncodingKind.Legacy)
        {
            return Operation.NotImplemented;
        }
        FloatControlKind? kind = instruction.Mnemonic switch
        {
            Mnemonic.Fxsave => FloatControlKind.Fxsave,
            Mnemonic.Fxsave64 => FloatControlKind.Fxsave64,
            Mnemonic.Fxrstor => FloatControlKind.Fxrstor,
            Mnemonic.Fxrstor64 => FloatControlKind.Fxrstor64,
            Mnemonic.Ldmxcsr => FloatControlKind.Ldmxcsr,
            Mnemonic.Stmxcsr => FloatControlKind.Stmxcsr,
            Mnemonic.Fninit => FloatControlKind.Fninit,
            Mnemonic.Finit => FloatControlKind.Fninit | FloatControlKind.Waiting,
            Mnemonic.Fnclex => FloatControlKind.Fnclex,
            Mnemonic.Fclex => FloatControlKind.Fnclex | FloatControlKind.Waiting,
            Mnemonic.Fnstsw => instruction.Op0Kind == OpKind.Register ? FloatControlKind.FnstswAx : FloatControlKind.FnstswMemory,
            Mnemonic.Fstsw => (instruction.Op0Kind == OpKind.Register ? FloatControlKind.FnstswAx : FloatControlKind.FnstswMemory) | FloatControlKind.Waiting,
            Mnemonic.Fnstcw => FloatControlKind.Fnstcw,
            Mnemonic.Fstcw => FloatControlKind.Fnstcw | FloatControlKind.Waiting,
            Mnemonic.Fldcw => FloatControlKind.Fldcw,
            Mnemonic.Wait => FloatControlKind.Fwait,
            // The 16-bit (66h) forms of the environment images are left not implemented.
            Mnemonic.Fnstenv when instruction.MemorySize.GetSize() == 28 => FloatControlKind.Fnstenv,
            Mnemonic.Fstenv when instruction.MemorySize.GetSize() == 28 => FloatControlKind.Fnstenv | FloatControlKind.Waiting,
            Mnemonic.Fldenv when instruction.MemorySize.GetSize() == 28 => FloatControlKind.Fldenv,
            Mnemonic.Fnsave when instruction.MemorySize.GetSize() == 108 => FloatControlKind.Fnsave,
            Mnemonic.Fsave when instruction.MemorySize.GetSize() == 108 => FloatControlKind.Fnsave | FloatControlKind.Waiting,
            Mnemonic.Frstor when instruction.MemorySize.GetSize() == 108 => FloatControlKind.Frstor,
            Mnemonic.Maskmovdqu when instruction.Op0Kind != OpKind.MemorySegDI => MaskedStore(in instruction, ref decoded),
            _ => null,
        };
        if (kind is { } control)
        {
            decoded.Aux = (byte)control;
            return Operation.FloatControl;
        }
        return HostInstructionTable.Translate(in instruction, ref decoded);
    }

    /// <summary>MASKMOVDQU's implicit [RDI] (or [EDI]) destination, DS unless overridden; the
    /// 16-bit [DI] form is left not implemented.</summary>
    private static FloatControlKind MaskedStore(in Instruction instruction, ref DecodedInstruction decoded)
    {
        decoded.Reg = (byte)(instruction.Op1Register - Register.XMM0);
        decoded.Reg2 = (byte)(instruction.Op2Register - Register.XMM0);
        decoded.Base = (byte)GeneralRegister.Rdi;
        decoded.Index = SoftwareCpu.ZeroRegister;
        decoded.Displacement = 0;
        decoded.Segment = instruction.MemorySegment switch
        {
            Register.FS => (byte)SegmentName.Fs,
            Register.GS => (byte)SegmentName.Gs,
            _ => SoftwareCpu.FlatSegmentSlot,
        };
        if (instruction.Op0Kind == OpKind.MemorySegEDI)
        {
            decoded.Flags |= OperandFlags.AddressSize32;
        }
        decoded.Size = 16;
        return FloatControlKind.Maskmovdqu;
    }
}
