using System.Reflection.Emit;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

public sealed unsafe partial class SoftwareCpu
{
    // The instructions the compiler emits itself: the integer operations compiled code spends its
    // time in. Each mirrors its interpreter handler (SoftwareCpu.Arithmetic/DataTransfer/Shifts.cs)
    // down to the values left in the lazy-flag fields.
    private sealed partial class BlockCompiler
    {
        private static bool IsCompiled(ref DecodedInstruction i)
        {
            bool memory0 = (i.Flags & OperandFlags.Memory0) != 0;
            return i.Op switch
            {
                >= Operation.AddRR and <= Operation.CmpRI => true,
                Operation.AluMemory or Operation.TestRR or Operation.TestRI or Operation.TestMemory => true,
                Operation.MovRR or Operation.MovRI or Operation.MovRM or Operation.MovMR or Operation.MovMI => true,
                Operation.MovzxRR or Operation.MovzxRM or Operation.MovsxRR or Operation.MovsxRM or Operation.Lea => true,
                Operation.IncR or Operation.DecR or Operation.IncM or Operation.DecM or Operation.CmovRR => true,
                Operation.Clc or Operation.Stc or Operation.Cmc => true,
                Operation.Neg or Operation.Not or Operation.Setcc => !memory0,
                Operation.Shift or Operation.StackPushf or Operation.StackPopf or Operation.Popf => true,
                Operation.Imul2 or Operation.Imul3 or Operation.Mul or Operation.Imul1 => true,
                Operation.PushR or Operation.PopR or Operation.Call or Operation.Ret => true,
                Operation.Jcc or Operation.Jmp or Operation.Nop => true,
                Operation.NearJcc or Operation.NearJmp or Operation.NearLoop or Operation.NearCall or Operation.NearRet => true,
                Operation.StackPush => i.Aux is 0 or 1,
                Operation.StackPop => !memory0,
                Operation.Movs or Operation.Stos or Operation.Lods => IsSingleString(ref i),
                _ => false,
            };
        }

        /// <summary>Shifts and rotates emitted in IL: by an immediate, on a register, not through the carry.</summary>
        private static bool IsInlineShift(ref DecodedInstruction i) =>
            (i.Flags & (OperandFlags.Memory0 | OperandFlags.RegisterCount)) == 0 &&
            (ShiftKind)i.Aux is ShiftKind.Shl or ShiftKind.Sal or ShiftKind.Shr or ShiftKind.Sar or ShiftKind.Rol or ShiftKind.Ror;

        /// <summary>SHL, SHR and SAR of a register by CL, also emitted in IL (<see cref="EmitShiftByCl"/>).</summary>
        private static bool IsShiftByCl(ref DecodedInstruction i) =>
            (i.Flags & (OperandFlags.Memory0 | OperandFlags.RegisterCount)) == OperandFlags.RegisterCount &&
            (ShiftKind)i.Aux is ShiftKind.Shl or ShiftKind.Sal or ShiftKind.Shr or ShiftKind.Sar;

        /// <summary>Emits a non-branch instruction; false when it is left to the interpreter.</summary>
        private bool EmitInstruction(ref DecodedInstruction i, int index)
        {
            if (!IsCompiled(ref i))
            {
                return false;
            }
            int size = i.Size;
            switch (i.Op)
            {
                case >= Operation.AddRR and <= Operation.CmpRR:
                    EmitRead(size, i.Reg);
                    EmitRead(size, i.Reg2);
                    EmitAlu((AluKind)(i.Op - Operation.AddRR), size, i.Reg);
                    return true;
                case >= Operation.AddRI and <= Operation.CmpRI:
                    EmitRead(size, i.Reg);
                    _il.Emit(OpCodes.Ldc_I8, (long)(i.Immediate & SizeMask(size)));
                    EmitAlu((AluKind)(i.Op - Operation.AddRI), size, i.Reg);
                    return true;
                case Operation.AluMemory:
                    EmitAluMemory(ref i, index);
                    return true;
                case Operation.TestRR:
                    EmitRead(size, i.Reg);
                    EmitRead(size, i.Reg2);
                    EmitTest(size);
                    return true;
                case Operation.TestRI:
                    EmitRead(size, i.Reg);
                    _il.Emit(OpCodes.Ldc_I8, (long)(i.Immediate & SizeMask(size)));
                    EmitTest(size);
                    return true;
                case Operation.TestMemory:
                    // Nothing stays on the IL stack across an access that may leave the block.
                    EmitOperand0(ref i, index);
                    _il.Emit(OpCodes.Stloc, _a);
                    EmitOperand1(ref i, index);
                    _il.Emit(OpCodes.Stloc, _b);
                    _il.Emit(OpCodes.Ldloc, _a);
                    _il.Emit(OpCodes.Ldloc, _b);
                    EmitTest(size);
                    return true;
                case Operation.MovRR:
                    EmitRead(size, i.Reg2);
                    EmitWrite(size, i.Reg);
                    return true;
                case Operation.MovRI:
                    _il.Emit(OpCodes.Ldc_I8, (long)i.Immediate);
                    EmitWrite(size, i.Reg);
                    return true;
                case Operation.MovRM:
                    EmitLoad(ref i, index, size);
                    EmitWrite(size, i.Reg);
                    return true;
                case Operation.MovMR:
                    EmitAddress(ref i);
                    _il.Emit(OpCodes.Stloc, _address);
                    EmitRead(size, i.Reg2);
                    EmitStore(index, size);
                    return true;
                case Operation.MovMI:
                    EmitAddress(ref i);
                    _il.Emit(OpCodes.Stloc, _address);
                    _il.Emit(OpCodes.Ldc_I8, (long)i.Immediate);
                    EmitStore(index, size);
                    return true;
                case Operation.MovzxRR:
                    EmitRead(i.Aux, i.Reg2);
                    EmitWrite(size, i.Reg);
                    return true;
                case Operation.MovsxRR:
                    EmitRead(i.Aux, i.Reg2);
                    EmitSignExtend(i.Aux);
                    EmitWrite(size, i.Reg);
                    return true;
                case Operation.MovzxRM:
                    EmitLoad(ref i, index, i.Aux);
                    EmitWrite(size, i.Reg);
                    return true;
                case Operation.MovsxRM:
                    EmitLoad(ref i, index, i.Aux);
                    EmitSignExtend(i.Aux);
                    EmitWrite(size, i.Reg);
                    return true;
                case Operation.Lea:
                    EmitAddress(ref i);
                    EmitWrite(size, i.Reg);
                    return true;
                case Operation.IncR:
                case Operation.DecR:
                    EmitIncrement(ref i);
                    return true;
                case Operation.IncM:
                case Operation.DecM:
                    EmitIncrementMemory(ref i, index);
                    return true;
                case Operation.Clc:
                case Operation.Stc:
                case Operation.Cmc:
                    EmitChangeCarry(index);
                    return true;
                case Operation.Neg:
                    EmitRead(size, i.Reg);
                    _il.Emit(OpCodes.Stloc, _b);
                    _il.Emit(OpCodes.Ldc_I8, 0L);
                    _il.Emit(OpCodes.Ldloc, _b);
                    _il.Emit(OpCodes.Sub);
                    _il.Emit(OpCodes.Stloc, _result);
                    _il.Emit(OpCodes.Ldloc, _result);
                    EmitWrite(size, i.Reg);
                    _il.Emit(OpCodes.Ldc_I8, 0L);
                    _il.Emit(OpCodes.Stloc, _a);
                    SetFlags(FlagOperation.Sub, size);
                    return true;
                case Operation.Not:
                    EmitRead(size, i.Reg);
                    _il.Emit(OpCodes.Not);
                    EmitWrite(size, i.Reg);
                    return true;
                case Operation.Setcc:
                    EmitCondition(i.Aux);
                    _il.Emit(OpCodes.Conv_U8);
                    EmitWrite(size, i.Reg);
                    return true;
                case Operation.CmovRR:
                    EmitConditionalMove(ref i);
                    return true;
                case Operation.Shift when IsShiftByCl(ref i):
                    EmitShiftByCl(ref i);
                    return true;
                case Operation.Shift when !IsInlineShift(ref i):
                    EmitShiftThroughHandler(ref i, index);
                    return true;
                case Operation.StackPushf:
                    EmitPushFlags(index);
                    return true;
                case Operation.StackPopf:
                case Operation.Popf:
                    EmitPopFlags(ref i, index);
                    return true;
                case Operation.Shift when (ShiftKind)i.Aux is ShiftKind.Rol or ShiftKind.Ror:
                    EmitRotate(ref i);
                    return true;
                case Operation.Shift:
                    EmitShift(ref i);
                    return true;
                case Operation.Imul2:
                case Operation.Imul3:
                    EmitSignedMultiply(ref i, index);
                    return true;
                case Operation.Mul:
                case Operation.Imul1:
                    EmitWideMultiply(ref i, index);
                    return true;
                case Operation.PushR:
                    EmitPush(ref i, index);
                    return true;
                case Operation.PopR:
                    EmitPop(ref i, index);
                    return true;
                case Operation.Call:
                    EmitCall(ref i, index);
                    return true;
                case Operation.Ret:
                    EmitReturn(ref i, index);
                    return true;
                case Operation.NearCall:
                    EmitNearCall(ref i, index);
                    return true;
                case Operation.NearRet:
                    EmitNearReturn(ref i, index);
                    return true;
                case Operation.StackPush:
                    EmitStackPushOperand(ref i, index);
                    return true;
                case Operation.StackPop:
                    EmitStackPopRegister(ref i, index);
                    return true;
                case Operation.Movs:
                case Operation.Stos:
                case Operation.Lods:
                    EmitStringOnce(ref i, index);
                    return true;
                case Operation.Nop:
                    return true;
                default:
                    return false;
            }
        }

        /// <summary>Takes a and b from the stack; the result goes to the register unless it is CMP.</summary>
        private void EmitAlu(AluKind kind, int size, int register)
        {
            _il.Emit(OpCodes.Stloc, _b);
            _il.Emit(OpCodes.Stloc, _a);
            EmitAluResult(kind);
            if (kind != AluKind.Cmp)
            {
                _il.Emit(OpCodes.Ldloc, _result);
                EmitWrite(size, register);
            }
            SetFlags(AluFlags(kind), size);
        }

        /// <summary>_result = _a op _b (with the carry for ADC and SBB).</summary>
        private void EmitAluResult(AluKind kind)
        {
            _il.Emit(OpCodes.Ldloc, _a);
            _il.Emit(OpCodes.Ldloc, _b);
            switch (kind)
            {
                case AluKind.Add: _il.Emit(OpCodes.Add); break;
                case AluKind.Or: _il.Emit(OpCodes.Or); break;
                case AluKind.And: _il.Emit(OpCodes.And); break;
                case AluKind.Xor: _il.Emit(OpCodes.Xor); break;
                case AluKind.Adc:
                    _il.Emit(OpCodes.Add);
                    EmitCarry();
                    _il.Emit(OpCodes.Conv_U8);
                    _il.Emit(OpCodes.Add);
                    break;
                case AluKind.Sbb:
                    _il.Emit(OpCodes.Sub);
                    EmitCarry();
                    _il.Emit(OpCodes.Conv_U8);
                    _il.Emit(OpCodes.Sub);
                    break;
                default: _il.Emit(OpCodes.Sub); break;
            }
            _il.Emit(OpCodes.Stloc, _result);
        }

        private static FlagOperation AluFlags(AluKind kind) => kind switch
        {
            AluKind.Add or AluKind.Adc => FlagOperation.Add,
            AluKind.Sbb => FlagOperation.SubWithBorrow,
            AluKind.Sub or AluKind.Cmp => FlagOperation.Sub,
            _ => FlagOperation.Logic,
        };

        /// <summary>The flags now come from _a, _b and _result.</summary>
        private void SetFlags(FlagOperation operation, int size)
        {
            _il.Emit(OpCodes.Ldloc, _a);
            _il.Emit(OpCodes.Stloc, _flagDestination);
            _il.Emit(OpCodes.Ldloc, _b);
            _il.Emit(OpCodes.Stloc, _flagSource);
            _il.Emit(OpCodes.Ldloc, _result);
            _il.Emit(OpCodes.Stloc, _flagResult);
            _flags = _flags with { Operation = operation, Size = size, Rotate = null };
        }

        private void EmitTest(int size)
        {
            _il.Emit(OpCodes.Stloc, _b);
            _il.Emit(OpCodes.Stloc, _a);
            _il.Emit(OpCodes.Ldloc, _a);
            _il.Emit(OpCodes.Ldloc, _b);
            _il.Emit(OpCodes.And);
            _il.Emit(OpCodes.Stloc, _result);
            SetFlags(FlagOperation.Logic, size);
        }

        private void EmitAluMemory(ref DecodedInstruction i, int index)
        {
            var kind = (AluKind)i.Aux;
            int size = i.Size;
            if ((i.Flags & OperandFlags.Memory0) != 0)
            {
                EmitAddress(ref i);
                _il.Emit(OpCodes.Stloc, _address);
                EmitTryRead(index, size);
            }
            else
            {
                EmitRead(size, i.Reg);
            }
            // Nothing stays on the IL stack across an access that may leave the block.
            _il.Emit(OpCodes.Stloc, _a);
            EmitOperand1(ref i, index);
            _il.Emit(OpCodes.Stloc, _b);
            EmitAluResult(kind);
            if (kind != AluKind.Cmp)
            {
                _il.Emit(OpCodes.Ldloc, _result);
                if ((i.Flags & OperandFlags.Memory0) != 0)
                {
                    // The flags change only once the write succeeded, as in AluMemory.
                    EmitStore(index, size, breakCheck: false);
                    SetFlags(AluFlags(kind), size);
                    EmitBlockBreakCheck(index);
                    return;
                }
                EmitWrite(size, i.Reg);
            }
            SetFlags(AluFlags(kind), size);
        }

        /// <summary>Pushes operand 0 (register or memory at _address) for TEST/ALU forms.</summary>
        private void EmitOperand0(ref DecodedInstruction i, int index)
        {
            if ((i.Flags & OperandFlags.Memory0) != 0)
            {
                EmitAddress(ref i);
                _il.Emit(OpCodes.Stloc, _address);
                EmitTryRead(index, i.Size);
                return;
            }
            EmitRead(i.Size, i.Reg);
        }

        private void EmitOperand1(ref DecodedInstruction i, int index)
        {
            if ((i.Flags & OperandFlags.Immediate1) != 0)
            {
                _il.Emit(OpCodes.Ldc_I8, (long)(i.Immediate & SizeMask(i.Size)));
            }
            else if ((i.Flags & OperandFlags.Memory1) != 0)
            {
                EmitAddress(ref i);
                _il.Emit(OpCodes.Stloc, _address);
                EmitTryRead(index, i.Size);
            }
            else
            {
                EmitRead(i.Size, i.Reg2);
            }
        }

        private void EmitIncrement(ref DecodedInstruction i)
        {
            bool decrement = i.Op == Operation.DecR;
            SettlePendingRotate();
            EmitKeepCarry();
            EmitRead(i.Size, i.Reg);
            _il.Emit(OpCodes.Stloc, _a);
            EmitIncrementOf(decrement);
            _il.Emit(OpCodes.Ldloc, _result);
            EmitWrite(i.Size, i.Reg);
            SetFlags(decrement ? FlagOperation.Decrement : FlagOperation.Increment, i.Size);
        }

        /// <summary>INC/DEC of memory: the flags change only once the write succeeded, as in IncrementMemory.</summary>
        private void EmitIncrementMemory(ref DecodedInstruction i, int index)
        {
            bool decrement = i.Op == Operation.DecM;
            SettlePendingRotate();
            EmitAddress(ref i);
            _il.Emit(OpCodes.Stloc, _address);
            EmitTryRead(index, i.Size);
            _il.Emit(OpCodes.Stloc, _a);
            EmitIncrementOf(decrement);
            _il.Emit(OpCodes.Ldloc, _result);
            EmitStore(index, i.Size, breakCheck: false);
            EmitKeepCarry();
            SetFlags(decrement ? FlagOperation.Decrement : FlagOperation.Increment, i.Size);
            EmitBlockBreakCheck(index);
        }

        /// <summary>_result = _a + 1 (or - 1), with _b = 1 as the lazy flags' source.</summary>
        private void EmitIncrementOf(bool decrement)
        {
            _il.Emit(OpCodes.Ldc_I8, 1L);
            _il.Emit(OpCodes.Stloc, _b);
            _il.Emit(OpCodes.Ldloc, _a);
            _il.Emit(OpCodes.Ldc_I8, 1L);
            _il.Emit(decrement ? OpCodes.Sub : OpCodes.Add);
            _il.Emit(OpCodes.Stloc, _result);
        }

        /// <summary>What KeepCarry does before INC/DEC set the flags: CF is remembered unless the flags
        /// already come from an INC or DEC.</summary>
        private void EmitKeepCarry()
        {
            switch (_flags.Operation)
            {
                case FlagOperation.Increment or FlagOperation.Decrement:
                    break;
                case null:
                    _il.Emit(OpCodes.Ldarg, CpuArgument);
                    _il.Emit(OpCodes.Call, KeepCarryMethod);
                    break;
                default:
                    EmitCarry();
                    _il.Emit(OpCodes.Stloc, _carryKept);
                    _flags = _flags with { CarryInLocal = true };
                    break;
            }
        }

        private void EmitConditionalMove(ref DecodedInstruction i)
        {
            Label skip = _il.DefineLabel();
            Label done = _il.DefineLabel();
            EmitRead(i.Size, i.Reg2);
            _il.Emit(OpCodes.Stloc, _b);
            EmitCondition(i.Aux);
            _il.Emit(OpCodes.Brfalse, skip);
            _il.Emit(OpCodes.Ldloc, _b);
            EmitWrite(i.Size, i.Reg);
            _il.Emit(OpCodes.Br, done);
            _il.MarkLabel(skip);
            if (i.Size == 4)
            {
                // A 32-bit CMOVcc writes its destination even when the condition is false.
                EmitRead(4, i.Reg);
                EmitWrite(4, i.Reg);
            }
            _il.MarkLabel(done);
        }

        /// <summary>A shift's or rotate's immediate count, masked as the CPU masks it. For a count of
        /// 0, which leaves the value and the flags alone, emits what remains: a 32-bit register is
        /// still written (its upper half cleared).</summary>
        private int ImmediateCount(ref DecodedInstruction i)
        {
            int count = (int)(i.Immediate & (i.Size == 8 ? 63UL : 31UL));
            if (count == 0 && i.Size == 4)
            {
                EmitRead(4, i.Reg);
                EmitWrite(4, i.Reg);
            }
            return count;
        }

        /// <summary>SHL/SAL/SHR/SAR of a register by an immediate, with Shift's formulas for a fixed count.</summary>
        private void EmitShift(ref DecodedInstruction i)
        {
            int size = i.Size;
            int bits = size * 8;
            int count = ImmediateCount(ref i);
            if (count == 0)
            {
                return;
            }
            long mask = (long)SizeMask(size);
            EmitRead(size, i.Reg);
            _il.Emit(OpCodes.Stloc, _b);
            var kind = (ShiftKind)i.Aux;
            // _result: the result; _a: carry | overflow << 11 (the Shifted destination slot).
            switch (kind)
            {
                case ShiftKind.Shr:
                    if (count < bits)
                    {
                        EmitShifted(_b, OpCodes.Shr_Un, count);
                    }
                    else
                    {
                        _il.Emit(OpCodes.Ldc_I8, 0L);
                    }
                    _il.Emit(OpCodes.Stloc, _result);
                    EmitCarryBit(count <= bits, count - 1);
                    EmitShifted(_b, OpCodes.Shr_Un, bits - 1);
                    break;
                case ShiftKind.Sar:
                    EmitSignedValue(size);
                    EmitShifted(_value, OpCodes.Shr, Math.Min(count, bits - 1));
                    _il.Emit(OpCodes.Ldc_I8, mask);
                    _il.Emit(OpCodes.And);
                    _il.Emit(OpCodes.Stloc, _result);
                    EmitShifted(_value, OpCodes.Shr, count < bits ? count - 1 : 63);
                    _il.Emit(OpCodes.Ldc_I8, 1L);
                    _il.Emit(OpCodes.And);
                    _il.Emit(OpCodes.Ldc_I8, 0L);
                    break;
                default:
                    if (count < bits)
                    {
                        EmitShifted(_b, OpCodes.Shl, count);
                        _il.Emit(OpCodes.Ldc_I8, mask);
                        _il.Emit(OpCodes.And);
                    }
                    else
                    {
                        _il.Emit(OpCodes.Ldc_I8, 0L);
                    }
                    _il.Emit(OpCodes.Stloc, _result);
                    EmitCarryBit(count <= bits, bits - count);
                    _il.Emit(OpCodes.Dup);
                    EmitShifted(_result, OpCodes.Shr_Un, bits - 1);
                    _il.Emit(OpCodes.Xor);
                    break;
            }
            EmitShiftFlagsAndWrite(size, i.Reg);
        }

        /// <summary>With carry and overflow on the stack (bit 0 meaningful) and the result in _result:
        /// writes the register and leaves the Shifted lazy flags in the flag locals.</summary>
        private void EmitShiftFlagsAndWrite(int size, int register)
        {
            _il.Emit(OpCodes.Ldc_I8, 1L);
            _il.Emit(OpCodes.And);
            _il.Emit(OpCodes.Ldc_I4, 11);
            _il.Emit(OpCodes.Shl);
            _il.Emit(OpCodes.Or);
            _il.Emit(OpCodes.Stloc, _a);
            _il.Emit(OpCodes.Ldloc, _result);
            EmitWrite(size, register);
            _il.Emit(OpCodes.Ldc_I8, 0L);
            _il.Emit(OpCodes.Stloc, _b);
            SetFlags(FlagOperation.Shifted, size);
        }

        /// <summary>
        /// SHL/SAL, SHR or SAR of a register by CL, as the interpreter's Shift does it: CL masked to 5 bits
        /// (6 for 64-bit operands); a count of 0 changes no flag, but a 32-bit register is still written
        /// (its upper half cleared). The count is known only at run time, so the flags go to the
        /// lazy-flag fields on both ways out (left there by a count of 0, set by any other) instead of
        /// staying in locals. Bit-stream decoders shift by CL in their inner loops (the kernel's zstd
        /// and xz, unpacking Debian 12's initramfs and its modules); a call to the interpreter's handler
        /// around each one stored and reloaded the registers.
        /// </summary>
        private void EmitShiftByCl(ref DecodedInstruction i)
        {
            int size = i.Size;
            int bits = size * 8;
            long mask = (long)SizeMask(size);
            SettlePendingRotate();
            EmitFlushFlags(_flags);
            _flags = default;
            LocalBuilder count = _shiftCount ??= _il.DeclareLocal(typeof(int));
            Label shift = _il.DefineLabel(), done = _il.DefineLabel();
            EmitRead(1, Counter);
            _il.Emit(OpCodes.Conv_I4);
            _il.Emit(OpCodes.Ldc_I4, size == 8 ? 63 : 31);
            _il.Emit(OpCodes.And);
            _il.Emit(OpCodes.Dup);
            _il.Emit(OpCodes.Stloc, count);
            _il.Emit(OpCodes.Brtrue, shift);
            if (size == 4)
            {
                EmitRead(4, i.Reg);
                EmitWrite(4, i.Reg);
            }
            _il.Emit(OpCodes.Br, done);
            _il.MarkLabel(shift);
            EmitRead(size, i.Reg);
            _il.Emit(OpCodes.Stloc, _b);
            // A count of at least the operand size (possible below 32 bits) needs no case of its own:
            // with the value zero- or sign-extended to 64 bits, the 64-bit shifts give the interpreter's
            // result, carry and overflow.
            switch ((ShiftKind)i.Aux)
            {
                case ShiftKind.Shr:
                    EmitShiftedByLocal(_b, OpCodes.Shr_Un, count, 0);
                    _il.Emit(OpCodes.Stloc, _result);
                    EmitShiftedByLocal(_b, OpCodes.Shr_Un, count, -1); // carry: the last bit shifted out
                    _il.Emit(OpCodes.Ldc_I8, 1L);
                    _il.Emit(OpCodes.And);
                    EmitShifted(_b, OpCodes.Shr_Un, bits - 1); // overflow: the operand's top bit
                    break;
                case ShiftKind.Sar:
                    EmitSignedValue(size);
                    EmitShiftedByLocal(_value, OpCodes.Shr, count, 0);
                    _il.Emit(OpCodes.Ldc_I8, mask);
                    _il.Emit(OpCodes.And);
                    _il.Emit(OpCodes.Stloc, _result);
                    EmitShiftedByLocal(_value, OpCodes.Shr, count, -1);
                    _il.Emit(OpCodes.Ldc_I8, 1L);
                    _il.Emit(OpCodes.And);
                    _il.Emit(OpCodes.Ldc_I8, 0L);
                    break;
                default:
                    EmitShiftedByLocal(_b, OpCodes.Shl, count, 0);
                    _il.Emit(OpCodes.Ldc_I8, mask);
                    _il.Emit(OpCodes.And);
                    _il.Emit(OpCodes.Stloc, _result);
                    // carry: bit (bits - count) of the value, none once the count passes the operand size
                    if (size == 8)
                    {
                        _il.Emit(OpCodes.Ldloc, _b);
                        _il.Emit(OpCodes.Ldc_I4, 64);
                        _il.Emit(OpCodes.Ldloc, count);
                        _il.Emit(OpCodes.Sub);
                        _il.Emit(OpCodes.Shr_Un);
                    }
                    else
                    {
                        EmitShiftedByLocal(_b, OpCodes.Shl, count, 0);
                        _il.Emit(OpCodes.Ldc_I4, bits);
                        _il.Emit(OpCodes.Shr_Un);
                    }
                    _il.Emit(OpCodes.Ldc_I8, 1L);
                    _il.Emit(OpCodes.And);
                    _il.Emit(OpCodes.Dup);
                    EmitShifted(_result, OpCodes.Shr_Un, bits - 1);
                    _il.Emit(OpCodes.Xor);
                    break;
            }
            EmitShiftFlagsAndWrite(size, i.Reg);
            EmitFlushFlags(_flags);
            _flags = default;
            _il.MarkLabel(done);
        }

        /// <summary>Pushes local shifted by the count local plus <paramref name="adjust"/>.</summary>
        private void EmitShiftedByLocal(LocalBuilder local, OpCode shift, LocalBuilder count, int adjust)
        {
            _il.Emit(OpCodes.Ldloc, local);
            _il.Emit(OpCodes.Ldloc, count);
            if (adjust != 0)
            {
                _il.Emit(OpCodes.Ldc_I4, adjust);
                _il.Emit(OpCodes.Add);
            }
            _il.Emit(shift);
        }

        private void EmitShifted(LocalBuilder local, OpCode shift, int count)
        {
            _il.Emit(OpCodes.Ldloc, local);
            if (count != 0)
            {
                _il.Emit(OpCodes.Ldc_I4, count);
                _il.Emit(shift);
            }
        }

        /// <summary>Pushes (_b >> shift) &amp; 1, or 0.</summary>
        private void EmitCarryBit(bool present, int shift)
        {
            if (!present)
            {
                _il.Emit(OpCodes.Ldc_I8, 0L);
                return;
            }
            EmitShifted(_b, OpCodes.Shr_Un, shift);
            _il.Emit(OpCodes.Ldc_I8, 1L);
            _il.Emit(OpCodes.And);
        }

        /// <summary>_value = _b sign-extended from the operand size.</summary>
        private void EmitSignedValue(int size)
        {
            _il.Emit(OpCodes.Ldloc, _b);
            EmitSignExtend(size);
            _il.Emit(OpCodes.Stloc, _value);
        }
    }
}
