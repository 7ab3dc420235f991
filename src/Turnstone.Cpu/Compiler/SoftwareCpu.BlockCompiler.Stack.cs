using System.Reflection.Emit;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

public sealed unsafe partial class SoftwareCpu
{
    // PUSH/POP of a register, CALL rel32 and RET in emitted code, as Push, PopRegister, CallTo and
    // Return do it (64-bit stack, RSP in a local like any register): every function's prologue and
    // epilogue, which otherwise left the compiled code for the interpreter and back. A non-canonical
    // branch target runs the instruction through the interpreter, which raises the #GP.
    private sealed partial class BlockCompiler
    {
        private const int StackPointer = 4;

        private void EmitPush(ref DecodedInstruction i, int index)
        {
            // The value before RSP moves (PUSH RSP pushes the old value).
            EmitRead(8, i.Reg);
            _il.Emit(OpCodes.Stloc, _value);
            EmitPushValue(index, _value);
            EmitBlockBreakCheck(index);
        }

        /// <summary>Writes a local at RSP - 8 and then moves RSP; a fault leaves RSP as it was.</summary>
        private void EmitPushValue(int index, LocalBuilder value)
        {
            _il.Emit(OpCodes.Ldloc, _registers[StackPointer]!);
            _il.Emit(OpCodes.Ldc_I8, 8L);
            _il.Emit(OpCodes.Sub);
            _il.Emit(OpCodes.Stloc, _address);
            _il.Emit(OpCodes.Ldloc, value);
            EmitStore(index, 8, breakCheck: false);
            _il.Emit(OpCodes.Ldloc, _address);
            _il.Emit(OpCodes.Stloc, _registers[StackPointer]!);
        }

        private void EmitPop(ref DecodedInstruction i, int index)
        {
            _il.Emit(OpCodes.Ldloc, _registers[StackPointer]!);
            _il.Emit(OpCodes.Stloc, _address);
            EmitTryRead(index, 8);
            _il.Emit(OpCodes.Stloc, _value);
            _il.Emit(OpCodes.Ldloc, _registers[StackPointer]!);
            _il.Emit(OpCodes.Ldc_I8, 8L);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Stloc, _registers[StackPointer]!);
            // POP RSP: the popped value wins over the increment.
            _il.Emit(OpCodes.Ldloc, _value);
            EmitWrite(8, i.Reg);
        }

        private void EmitCall(ref DecodedInstruction i, int index)
        {
            Label interpreted = _il.DefineLabel();
            _il.Emit(OpCodes.Ldloc, _blockRip);
            _il.Emit(OpCodes.Ldc_I8, (long)i.Immediate);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Stloc, _b);
            EmitBranchIfNotCanonical(_b, interpreted);
            _il.Emit(OpCodes.Ldloc, _blockRip);
            _il.Emit(OpCodes.Ldc_I8, (long)(i.Offset + i.Length));
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Stloc, _value);
            EmitPushValue(index, _value);
            EmitLeaveTo(_b, index + 1);
            _il.MarkLabel(interpreted);
            EmitInterpreted(index);
        }

        private void EmitReturn(ref DecodedInstruction i, int index)
        {
            Label interpreted = _il.DefineLabel();
            _il.Emit(OpCodes.Ldloc, _registers[StackPointer]!);
            _il.Emit(OpCodes.Stloc, _address);
            EmitTryRead(index, 8);
            _il.Emit(OpCodes.Stloc, _b);
            EmitBranchIfNotCanonical(_b, interpreted);
            _il.Emit(OpCodes.Ldloc, _registers[StackPointer]!);
            _il.Emit(OpCodes.Ldc_I8, 8L + (ushort)i.Immediate);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Stloc, _registers[StackPointer]!);
            EmitLeaveTo(_b, index + 1);
            _il.MarkLabel(interpreted);
            EmitInterpreted(index);
        }

        /// <summary>IsCanonical: bits 63..47 all equal.</summary>
        private void EmitBranchIfNotCanonical(LocalBuilder address, Label target)
        {
            _il.Emit(OpCodes.Ldloc, address);
            _il.Emit(OpCodes.Ldc_I4, 16);
            _il.Emit(OpCodes.Shl);
            _il.Emit(OpCodes.Ldc_I4, 16);
            _il.Emit(OpCodes.Shr);
            _il.Emit(OpCodes.Ldloc, address);
            _il.Emit(OpCodes.Bne_Un, target);
        }

        /// <summary>Leaves the block for the RIP in a local, <paramref name="retired"/> instructions retired.</summary>
        private void EmitLeaveTo(LocalBuilder rip, int retired)
        {
            StoreRegisters();
            EmitFlushFlags(_flags);
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldloc, rip);
            _il.Emit(OpCodes.Stfld, RipField);
            EmitReturnRetired(retired);
        }
    }
}
