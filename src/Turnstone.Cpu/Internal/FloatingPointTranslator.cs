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
            _ => null,
        };
        if (kind is { } control)
        {
            decoded.Aux = (byte)control;
            return Operation.FloatControl;
        }
        return HostInstructionTable.Translate(in instruction, ref decoded);
    }
}
