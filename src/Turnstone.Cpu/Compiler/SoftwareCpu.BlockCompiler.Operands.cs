using System.Reflection.Emit;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

public sealed unsafe partial class SoftwareCpu
{
    // Registers, effective addresses and memory accesses in emitted code, with the interpreter's
    // rules (SoftwareCpu.Registers.cs): 32-bit writes clear the upper half, 8/16-bit writes merge.
    private sealed partial class BlockCompiler
    {
        /// <summary>Pushes a register's value at a size (zero-extended to 64 bits).</summary>
        private void EmitRead(int size, int index)
        {
            if (index == ZeroRegister)
            {
                _il.Emit(OpCodes.Ldc_I8, 0L);
                return;
            }
            if (index == BlockRipRegister)
            {
                _il.Emit(OpCodes.Ldloc, _blockRip);
                return;
            }
            if (index >= HighByteRegister)
            {
                _il.Emit(OpCodes.Ldloc, _registers[index - HighByteRegister]!);
                _il.Emit(OpCodes.Ldc_I4_8);
                _il.Emit(OpCodes.Shr_Un);
                _il.Emit(OpCodes.Conv_U1);
                _il.Emit(OpCodes.Conv_U8);
                return;
            }
            _il.Emit(OpCodes.Ldloc, _registers[index]!);
            EmitZeroExtend(size);
        }

        private void EmitZeroExtend(int size)
        {
            switch (size)
            {
                case 8: return;
                case 4: _il.Emit(OpCodes.Conv_U4); break;
                case 2: _il.Emit(OpCodes.Conv_U2); break;
                default: _il.Emit(OpCodes.Conv_U1); break;
            }
            _il.Emit(OpCodes.Conv_U8);
        }

        private void EmitSignExtend(int size)
        {
            switch (size)
            {
                case 8: return;
                case 4: _il.Emit(OpCodes.Conv_I4); break;
                case 2: _il.Emit(OpCodes.Conv_I2); break;
                default: _il.Emit(OpCodes.Conv_I1); break;
            }
            _il.Emit(OpCodes.Conv_I8);
        }

        /// <summary>Writes the value on the stack to a register at a size.</summary>
        private void EmitWrite(int size, int index)
        {
            if (size == 8 || size == 4)
            {
                if (size == 4)
                {
                    _il.Emit(OpCodes.Conv_U4);
                    _il.Emit(OpCodes.Conv_U8);
                }
                _il.Emit(OpCodes.Stloc, _registers[index]!);
                return;
            }
            _il.Emit(OpCodes.Stloc, _written);
            bool high = size == 1 && index >= HighByteRegister;
            LocalBuilder full = _registers[high ? index - HighByteRegister : index]!;
            _il.Emit(OpCodes.Ldloc, full);
            _il.Emit(OpCodes.Ldc_I8, size == 2 ? ~0xFFFFL : high ? ~0xFF00L : ~0xFFL);
            _il.Emit(OpCodes.And);
            _il.Emit(OpCodes.Ldloc, _written);
            EmitZeroExtend(size);
            if (high)
            {
                _il.Emit(OpCodes.Ldc_I4_8);
                _il.Emit(OpCodes.Shl);
            }
            _il.Emit(OpCodes.Or);
            _il.Emit(OpCodes.Stloc, full);
        }

        /// <summary>Pushes the linear address of the memory operand, as EffectiveAddress computes it.</summary>
        private void EmitAddress(ref DecodedInstruction i)
        {
            bool pushed = false;
            if (i.Base != ZeroRegister)
            {
                EmitRead(8, i.Base);
                pushed = true;
            }
            if (i.Index != ZeroRegister)
            {
                EmitRead(8, i.Index);
                if (i.Scale != 0)
                {
                    _il.Emit(OpCodes.Ldc_I4, (int)i.Scale);
                    _il.Emit(OpCodes.Shl);
                }
                AddIfPushed(ref pushed);
            }
            if (i.Displacement != 0 || !pushed)
            {
                _il.Emit(OpCodes.Ldc_I8, i.Displacement);
                AddIfPushed(ref pushed);
            }
            EmitSegmentedAddress(i.Flags, i.Segment);
        }

        /// <summary>The offset on the stack wrapped at the address size, plus the segment's base (the
        /// flat slot's is always 0): the linear address.</summary>
        private void EmitSegmentedAddress(OperandFlags flags, int segment)
        {
            EmitAddressWrap(flags);
            if (segment != FlatSegmentSlot)
            {
                EmitSegmentBase(segment);
                _il.Emit(OpCodes.Add);
            }
        }

        /// <summary>Wraps the offset on the stack at a 16- or 32-bit address size.</summary>
        private void EmitAddressWrap(OperandFlags flags)
        {
            if ((flags & (OperandFlags.AddressSize32 | OperandFlags.AddressSize16)) != 0)
            {
                _il.Emit(OpCodes.Ldc_I8, (long)AddressMask(flags));
                _il.Emit(OpCodes.And);
            }
        }

        private void EmitSegmentBase(int segment)
        {
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldfld, SegmentBaseField);
            _il.Emit(OpCodes.Ldc_I4, segment);
            _il.Emit(OpCodes.Ldelem_I8);
        }

        private void AddIfPushed(ref bool pushed)
        {
            if (pushed)
            {
                _il.Emit(OpCodes.Add);
            }
            pushed = true;
        }

        /// <summary>Reads memory at the operand's address into the stack, leaving the block on a fault.</summary>
        private void EmitLoad(ref DecodedInstruction i, int index, int size)
        {
            EmitAddress(ref i);
            _il.Emit(OpCodes.Stloc, _address);
            EmitTryRead(index, size);
        }

        /// <summary>TryRead(_address, size) through the TLB; pushes the value.</summary>
        private void EmitTryRead(int index, int size)
        {
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldloc, _address);
            _il.Emit(OpCodes.Ldc_I4, size);
            _il.Emit(OpCodes.Ldloca, _value);
            _il.Emit(OpCodes.Call, TryReadMethod);
            _il.Emit(OpCodes.Brfalse, FaultExit(index));
            _il.Emit(OpCodes.Ldloc, _value);
        }

        /// <summary>TryWrite(_address, size, value on the stack); then the block ends if the write hit decoded code.</summary>
        private void EmitStore(int index, int size, bool breakCheck = true)
        {
            _il.Emit(OpCodes.Stloc, _written);
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldloc, _address);
            _il.Emit(OpCodes.Ldc_I4, size);
            _il.Emit(OpCodes.Ldloc, _written);
            _il.Emit(OpCodes.Call, TryWriteMethod);
            _il.Emit(OpCodes.Brfalse, FaultExit(index));
            if (breakCheck)
            {
                EmitBlockBreakCheck(index);
            }
        }
    }
}
