using System.Reflection;
using System.Reflection.Emit;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

public sealed unsafe partial class SoftwareCpu
{
    // MUL and IMUL in emitted code: the product comes from the interpreter's own static helpers
    // (SoftwareCpu.MultiplyDivide.cs), which the JIT inlines, and the flags are left in the lazy
    // Shifted form (CF/OF in the destination slot, SF/ZF/PF from the low half) as the interpreter does.
    private sealed partial class BlockCompiler
    {
        private static readonly MethodInfo SignedProductMethod = StaticMethod(nameof(SignedProduct),
            typeof(long), typeof(long), typeof(int), typeof(ulong).MakeByRefType());
        private static readonly MethodInfo UnsignedWideProductMethod = StaticMethod(nameof(UnsignedWideProduct),
            typeof(ulong), typeof(ulong), typeof(int), typeof(ulong).MakeByRefType(), typeof(ulong).MakeByRefType());
        private static readonly MethodInfo SignedWideProductMethod = StaticMethod(nameof(SignedWideProduct),
            typeof(long), typeof(long), typeof(int), typeof(ulong).MakeByRefType(), typeof(ulong).MakeByRefType());

        private static MethodInfo StaticMethod(string name, params Type[] parameters) =>
            typeof(SoftwareCpu).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static, parameters)
            ?? throw new MissingMethodException(nameof(SoftwareCpu), name);

        /// <summary>IMUL r, r/m and IMUL r, r/m, imm.</summary>
        private void EmitSignedMultiply(ref DecodedInstruction i, int index)
        {
            int size = i.Size;
            // The source first: nothing stays on the IL stack across an access that may leave the block.
            EmitSource(ref i, index, size);
            EmitSignExtend(size);
            _il.Emit(OpCodes.Stloc, _b);
            if (i.Op == Operation.Imul3)
            {
                _il.Emit(OpCodes.Ldc_I8, SignExtend(i.Immediate, size));
            }
            else
            {
                EmitRead(size, i.Reg);
                EmitSignExtend(size);
            }
            _il.Emit(OpCodes.Ldloc, _b);
            _il.Emit(OpCodes.Ldc_I4, size);
            _il.Emit(OpCodes.Ldloca, _a);
            _il.Emit(OpCodes.Call, SignedProductMethod);
            _il.Emit(OpCodes.Stloc, _result);
            _il.Emit(OpCodes.Ldloc, _result);
            EmitWrite(size, i.Reg);
            SetMultiplyFlags(size);
        }

        /// <summary>MUL r/m and IMUL r/m: rDX:rAX (AX for a byte) = rAX * operand.</summary>
        private void EmitWideMultiply(ref DecodedInstruction i, int index)
        {
            int size = i.Size;
            bool signed = i.Op == Operation.Imul1;
            EmitOperand0(ref i, index);
            if (signed)
            {
                EmitSignExtend(size);
            }
            _il.Emit(OpCodes.Stloc, _b);
            EmitRead(size, 0);
            if (signed)
            {
                EmitSignExtend(size);
            }
            _il.Emit(OpCodes.Ldloc, _b);
            _il.Emit(OpCodes.Ldc_I4, size);
            _il.Emit(OpCodes.Ldloca, _value);
            _il.Emit(OpCodes.Ldloca, _a);
            _il.Emit(OpCodes.Call, signed ? SignedWideProductMethod : UnsignedWideProductMethod);
            _il.Emit(OpCodes.Stloc, _result);
            if (size == 1)
            {
                // AX = high << 8 | low.
                _il.Emit(OpCodes.Ldloc, _value);
                _il.Emit(OpCodes.Ldc_I4_8);
                _il.Emit(OpCodes.Shl);
                _il.Emit(OpCodes.Ldloc, _result);
                _il.Emit(OpCodes.Or);
                EmitWrite(2, 0);
            }
            else
            {
                _il.Emit(OpCodes.Ldloc, _result);
                EmitWrite(size, 0);
                _il.Emit(OpCodes.Ldloc, _value);
                EmitWrite(size, 2);
            }
            SetMultiplyFlags(size);
        }

        /// <summary>Operand 1 of IMUL r, r/m: memory at _address or the register in Reg2.</summary>
        private void EmitSource(ref DecodedInstruction i, int index, int size)
        {
            if ((i.Flags & OperandFlags.Memory1) != 0)
            {
                EmitAddress(ref i);
                _il.Emit(OpCodes.Stloc, _address);
                EmitTryRead(index, size);
                return;
            }
            EmitRead(size, i.Reg2);
        }

        /// <summary>_a holds the CF/OF slot and _result the low half: the interpreter's SetMultiplyFlags.</summary>
        private void SetMultiplyFlags(int size)
        {
            _il.Emit(OpCodes.Ldc_I8, 0L);
            _il.Emit(OpCodes.Stloc, _b);
            SetFlags(FlagOperation.Shifted, size);
        }
    }
}
