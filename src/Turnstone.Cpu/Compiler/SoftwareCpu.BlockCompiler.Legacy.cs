using System.Reflection;
using System.Reflection.Emit;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

public sealed unsafe partial class SoftwareCpu
{
    // The near branches and stack operations of 16/32-bit code (real mode, protected mode, and the
    // 66-prefixed stack forms of 64-bit code) in emitted code. Targets wrap at the operand size and
    // must lie within CS's limit; a target beyond it runs the instruction through the interpreter,
    // which raises the #GP. The stack goes through the interpreter's own StackPush/StackPeek/
    // StackAdjust (SS's base, ESP or SP by SS.B), with ESP handed over in the register array around
    // the call: SS can change only between blocks, so the stack's shape is not compiled in.
    private sealed partial class BlockCompiler
    {
        private static readonly MethodInfo WithinCodeLimitMethod = Method(nameof(WithinCodeLimit), typeof(ulong));
        private static readonly MethodInfo StackPushMethod = Method(nameof(StackPush), typeof(ulong), typeof(int));
        private static readonly MethodInfo StackPeekMethod = Method(nameof(StackPeek), typeof(ulong), typeof(int), typeof(ulong).MakeByRefType());
        private static readonly MethodInfo StackAdjustMethod = Method(nameof(StackAdjust), typeof(ulong));

        private static bool IsNearBranch(Operation op) => op is Operation.NearJcc or Operation.NearJmp or Operation.NearLoop;

        /// <summary>Whether a JMP/Jcc goes to the first instruction of its own block (a loop).</summary>
        private static bool BranchesToBlockStart(ref DecodedInstruction i) => i.Op switch
        {
            Operation.Jcc or Operation.Jmp => i.Immediate == 0,
            // Immediate is the displacement from the next instruction.
            Operation.NearJcc or Operation.NearJmp or Operation.NearLoop => i.Offset + i.Length + (long)i.Immediate == 0,
            _ => false,
        };

        /// <summary>The target of a near branch or call: (next EIP/IP + displacement), wrapped at its size, into _b.</summary>
        private void EmitNearTarget(ref DecodedInstruction i)
        {
            _il.Emit(OpCodes.Ldloc, _blockRip);
            _il.Emit(OpCodes.Ldc_I8, i.Offset + i.Length + (long)i.Immediate);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Ldc_I8, i.Size == 2 ? 0xFFFFL : 0xFFFF_FFFFL);
            _il.Emit(OpCodes.And);
            _il.Emit(OpCodes.Stloc, _b);
        }

        /// <summary>
        /// LOOP/LOOPE/LOOPNE: decrements CX or ECX (by the address size; the bits above it stay) and
        /// pushes whether the branch is taken. A target beyond CS's limit is found first, before the
        /// counter moves, and runs the whole instruction through the interpreter (which faults only
        /// when the branch is taken); the block's own start needs no check (it was fetched).
        /// </summary>
        private void EmitLoopCondition(ref DecodedInstruction i, int index)
        {
            if (!BranchesToBlockStart(ref i))
            {
                Label within = _il.DefineLabel();
                Label beyond = _il.DefineLabel();
                EmitNearTarget(ref i);
                EmitBranchIfBeyondCodeLimit(_b, beyond);
                _il.Emit(OpCodes.Br, within);
                _il.MarkLabel(beyond);
                EmitInterpretedAndLeave(index);
                _il.MarkLabel(within);
            }
            long mask = (long)AddressMask(i.Flags);
            EmitRead(8, Counter);
            _il.Emit(OpCodes.Ldc_I8, 1L);
            _il.Emit(OpCodes.Sub);
            _il.Emit(OpCodes.Ldc_I8, mask);
            _il.Emit(OpCodes.And);
            _il.Emit(OpCodes.Stloc, _value);
            EmitRead(8, Counter);
            _il.Emit(OpCodes.Ldc_I8, ~mask);
            _il.Emit(OpCodes.And);
            _il.Emit(OpCodes.Ldloc, _value);
            _il.Emit(OpCodes.Or);
            EmitWrite(8, Counter);
            _il.Emit(OpCodes.Ldloc, _value);
            _il.Emit(OpCodes.Ldc_I8, 0L);
            _il.Emit(OpCodes.Cgt_Un);
            if (i.Aux is 1 or 2)
            {
                EmitCondition(i.Aux == 1 ? 4 : 5); // LOOPE: ZF set; LOOPNE: ZF clear
                _il.Emit(OpCodes.And);
            }
        }

        private void EmitBranchIfBeyondCodeLimit(LocalBuilder target, Label beyond)
        {
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldloc, target);
            _il.Emit(OpCodes.Call, WithinCodeLimitMethod);
            _il.Emit(OpCodes.Brfalse, beyond);
        }

        /// <summary>A taken NearJcc/NearJmp that does not loop within the block: leave for its target.</summary>
        private void EmitNearBranchTaken(ref DecodedInstruction i, int index)
        {
            Label beyond = _il.DefineLabel();
            EmitNearTarget(ref i);
            EmitBranchIfBeyondCodeLimit(_b, beyond);
            EmitLeaveTo(_b, index + 1);
            _il.MarkLabel(beyond);
            EmitInterpretedAndLeave(index);
        }

        /// <summary>
        /// The slow path of an instruction the compiled code found it cannot finish (a target beyond
        /// CS's limit): the interpreter runs it from the start (it raises the fault) and the block is
        /// left. The code after it keeps the flag state of the fast path, which fell through to it.
        /// </summary>
        private void EmitInterpretedAndLeave(int index)
        {
            FlagState fastPath = _flags;
            EmitInterpreted(index);
            ref DecodedInstruction i = ref _code[index];
            EmitLeave(i.Offset + i.Length, index + 1);
            _flags = fastPath;
        }

        private void EmitNearCall(ref DecodedInstruction i, int index)
        {
            Label beyond = _il.DefineLabel();
            EmitNearTarget(ref i);
            EmitBranchIfBeyondCodeLimit(_b, beyond);
            _il.Emit(OpCodes.Ldloc, _blockRip);
            _il.Emit(OpCodes.Ldc_I8, (long)(i.Offset + i.Length));
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Stloc, _value);
            EmitStackPush(index, _value, i.Size);
            EmitLeaveTo(_b, index + 1);
            _il.MarkLabel(beyond);
            EmitInterpretedAndLeave(index);
        }

        private void EmitNearReturn(ref DecodedInstruction i, int index)
        {
            Label beyond = _il.DefineLabel();
            EmitStackPeek(_b, i.Size, index);
            EmitBranchIfBeyondCodeLimit(_b, beyond);
            EmitStackAdjust((long)i.Size + (ushort)i.Immediate);
            EmitLeaveTo(_b, index + 1);
            _il.MarkLabel(beyond);
            EmitInterpretedAndLeave(index);
        }

        /// <summary>PUSH of a register or an immediate (the register's value before ESP moves).</summary>
        private void EmitStackPushOperand(ref DecodedInstruction i, int index)
        {
            if (i.Aux == 0)
            {
                EmitRead(8, i.Reg);
            }
            else
            {
                _il.Emit(OpCodes.Ldc_I8, (long)i.Immediate);
            }
            _il.Emit(OpCodes.Stloc, _value);
            EmitStackPush(index, _value, i.Size);
            EmitBlockBreakCheck(index);
        }

        /// <summary>POP into a register: the popped value wins over the increment (POP ESP).</summary>
        private void EmitStackPopRegister(ref DecodedInstruction i, int index)
        {
            EmitStackPeek(_value, i.Size, index);
            EmitStackAdjust(i.Size);
            _il.Emit(OpCodes.Ldloc, _value);
            EmitWrite(i.Size, i.Reg);
        }

        /// <summary>StackPeek(0, size, out value): the top of the stack into a local, leaving the block on a fault.</summary>
        private void EmitStackPeek(LocalBuilder value, int size, int index)
        {
            HandStackPointerToCpu();
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldc_I8, 0L);
            _il.Emit(OpCodes.Ldc_I4, size);
            _il.Emit(OpCodes.Ldloca, value);
            _il.Emit(OpCodes.Call, StackPeekMethod);
            _il.Emit(OpCodes.Brfalse, FaultExit(index));
        }

        /// <summary>StackAdjust(delta) after <see cref="EmitStackPeek"/> (ESP is with the CPU then).</summary>
        private void EmitStackAdjust(long delta)
        {
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldc_I8, delta);
            _il.Emit(OpCodes.Call, StackAdjustMethod);
            TakeStackPointerFromCpu();
        }

        /// <summary>StackPush(value, size); a fault leaves ESP as it was.</summary>
        private void EmitStackPush(int index, LocalBuilder value, int size)
        {
            HandStackPointerToCpu();
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldloc, value);
            _il.Emit(OpCodes.Ldc_I4, size);
            _il.Emit(OpCodes.Call, StackPushMethod);
            TakeStackPointerFromCpu();
            _il.Emit(OpCodes.Brfalse, FaultExit(index));
        }

        private void HandStackPointerToCpu() => HandRegistersToCpu(StackPointer);

        private void TakeStackPointerFromCpu() => TakeRegistersFromCpu(StackPointer);
    }
}
