using System.Reflection;
using System.Reflection.Emit;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

public sealed unsafe partial class SoftwareCpu
{
    // ROL/ROR of a register by an immediate. A rotate changes only CF and OF, so the interpreter
    // materialises the flags before it; hashes and ciphers rotate again and again and overwrite
    // the flags with the next XOR or ADD. Compiled code therefore leaves the rotate pending: the
    // flag state before it stays where it is, the rotated value in a local, and only where the
    // flags are read or the block is left are they materialised with the rotate's CF and OF
    // (ApplyRotateFlags, idempotent). A later flag-setting instruction simply drops it.
    private sealed partial class BlockCompiler
    {
        private static readonly MethodInfo ApplyRotateFlagsMethod = Method(nameof(ApplyRotateFlags), typeof(ulong), typeof(int), typeof(int));

        private void EmitRotate(ref DecodedInstruction i)
        {
            int size = i.Size;
            int bits = size * 8;
            int count = ImmediateCount(ref i);
            if (count == 0)
            {
                return;
            }
            var kind = (ShiftKind)i.Aux;
            int n = count % bits;
            EmitRead(size, i.Reg);
            _il.Emit(OpCodes.Stloc, _b);
            _il.Emit(OpCodes.Ldloc, _b);
            if (n != 0)
            {
                int left = kind == ShiftKind.Rol ? n : bits - n;
                _il.Emit(OpCodes.Ldc_I4, left);
                _il.Emit(OpCodes.Shl);
                _il.Emit(OpCodes.Ldloc, _b);
                _il.Emit(OpCodes.Ldc_I4, bits - left);
                _il.Emit(OpCodes.Shr_Un);
                _il.Emit(OpCodes.Or);
                EmitZeroExtend(size);
            }
            _il.Emit(OpCodes.Stloc, _rotated);
            _il.Emit(OpCodes.Ldloc, _rotated);
            EmitWrite(size, i.Reg);
            _flags = _flags with { Rotate = kind, RotateSize = size };
        }

        /// <summary>Materialises a pending rotate's flags into the fields (before a read of the flags
        /// the compiler does not evaluate itself); afterwards the fields are current.</summary>
        private void SettlePendingRotate()
        {
            if (_flags.Rotate is not null)
            {
                EmitFlushFlags(_flags);
                _flags = default;
            }
        }

        private void EmitApplyRotate(FlagState flags)
        {
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldloc, _rotated);
            _il.Emit(OpCodes.Ldc_I4, flags.RotateSize);
            _il.Emit(OpCodes.Ldc_I4, (int)flags.Rotate!.Value);
            _il.Emit(OpCodes.Call, ApplyRotateFlagsMethod);
        }
    }

    /// <summary>CF and OF of ROL/ROR from the rotated value, the other flags as they were: what Shift
    /// sets for a rotate (compiled code applies it where a pending rotate's flags are needed).</summary>
    private void ApplyRotateFlags(ulong result, int size, int kind)
    {
        ulong flags = MaterializeFlags();
        int bits = size * 8;
        ulong carry, overflow;
        if ((ShiftKind)kind == ShiftKind.Rol)
        {
            carry = result & 1;
            overflow = ((result >> (bits - 1)) ^ carry) & 1;
        }
        else
        {
            carry = (result >> (bits - 1)) & 1;
            overflow = ((result >> (bits - 1)) ^ (result >> (bits - 2))) & 1;
        }
        SetArithmeticFlags((flags & ~(RflagsBits.Cf | RflagsBits.Of)) | carry | (overflow << 11));
    }
}
