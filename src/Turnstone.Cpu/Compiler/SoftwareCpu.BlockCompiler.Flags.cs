using System.Reflection.Emit;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

public sealed unsafe partial class SoftwareCpu
{
    // Conditions and the carry in emitted code. The flag-setting instruction is known when the
    // block is compiled, so a condition after CMP/SUB compares its operands, after a logic
    // operation or INC/DEC it tests the result; anything else stores the flag locals and asks the
    // interpreter's Condition/CarryFlag, which read the same fields.
    private sealed partial class BlockCompiler
    {
        /// <summary>Pushes condition <paramref name="code"/> (0-15) as 0 or 1.</summary>
        private void EmitCondition(int code)
        {
            bool negate = (code & 1) != 0;
            SettlePendingRotate();
            FlagOperation? operation = _flags.Operation;
            int size = _flags.Size;
            if (operation is null || operation == FlagOperation.Materialized)
            {
                EmitConditionCall(code);
                return;
            }
            switch (code >> 1)
            {
                case 2: // E / NE
                    EmitMasked(_flagResult, size);
                    _il.Emit(OpCodes.Ldc_I8, 0L);
                    _il.Emit(OpCodes.Ceq);
                    EmitNegateIf(negate);
                    return;
                case 4: // S / NS
                    EmitSignBit(_flagResult, size);
                    EmitNegateIf(negate);
                    return;
            }
            if (operation == FlagOperation.Sub)
            {
                switch (code >> 1)
                {
                    case 1: // B / AE
                        EmitCompare(unsigned: true, OpCodes.Clt_Un, size);
                        EmitNegateIf(negate);
                        return;
                    case 3: // BE / A
                        EmitCompare(unsigned: true, OpCodes.Cgt_Un, size);
                        EmitNegateIf(!negate);
                        return;
                    case 6: // L / GE
                        EmitCompare(unsigned: false, OpCodes.Clt, size);
                        EmitNegateIf(negate);
                        return;
                    case 7: // LE / G
                        EmitCompare(unsigned: false, OpCodes.Cgt, size);
                        EmitNegateIf(!negate);
                        return;
                }
            }
            if (operation == FlagOperation.Logic)
            {
                // CF = OF = 0.
                switch (code >> 1)
                {
                    case 0: // O / NO
                    case 1: // B / AE
                        _il.Emit(negate ? OpCodes.Ldc_I4_1 : OpCodes.Ldc_I4_0);
                        return;
                    case 3: // BE / A: ZF
                        EmitMasked(_flagResult, size);
                        _il.Emit(OpCodes.Ldc_I8, 0L);
                        _il.Emit(OpCodes.Ceq);
                        EmitNegateIf(negate);
                        return;
                    case 6: // L / GE: SF
                        EmitSignBit(_flagResult, size);
                        EmitNegateIf(negate);
                        return;
                    case 7: // LE / G: ZF or SF
                        EmitMasked(_flagResult, size);
                        _il.Emit(OpCodes.Ldc_I8, 0L);
                        _il.Emit(OpCodes.Ceq);
                        EmitSignBit(_flagResult, size);
                        _il.Emit(OpCodes.Or);
                        EmitNegateIf(negate);
                        return;
                }
            }
            EmitConditionCall(code);
        }

        private void EmitConditionCall(int code)
        {
            EmitFlushFlags(_flags);
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldc_I4, code);
            _il.Emit(OpCodes.Call, ConditionMethod);
        }

        /// <summary>Compares the flag destination with the flag source at the flag size.</summary>
        private void EmitCompare(bool unsigned, OpCode compare, int size)
        {
            if (unsigned)
            {
                EmitMasked(_flagDestination, size);
                EmitMasked(_flagSource, size);
            }
            else
            {
                _il.Emit(OpCodes.Ldloc, _flagDestination);
                EmitSignExtend(size);
                _il.Emit(OpCodes.Ldloc, _flagSource);
                EmitSignExtend(size);
            }
            _il.Emit(compare);
        }

        private void EmitMasked(LocalBuilder local, int size)
        {
            _il.Emit(OpCodes.Ldloc, local);
            EmitZeroExtend(size);
        }

        /// <summary>Pushes bit (size * 8 - 1) of a local as 0 or 1.</summary>
        private void EmitSignBit(LocalBuilder local, int size)
        {
            _il.Emit(OpCodes.Ldloc, local);
            _il.Emit(OpCodes.Ldc_I4, size * 8 - 1);
            _il.Emit(OpCodes.Shr_Un);
            _il.Emit(OpCodes.Conv_I4);
            _il.Emit(OpCodes.Ldc_I4_1);
            _il.Emit(OpCodes.And);
        }

        private void EmitNegateIf(bool negate)
        {
            if (negate)
            {
                _il.Emit(OpCodes.Ldc_I4_0);
                _il.Emit(OpCodes.Ceq);
            }
        }

        /// <summary>Pushes CF as 0 or 1, as CarryFlag computes it.</summary>
        private void EmitCarry()
        {
            SettlePendingRotate();
            int top = _flags.Size * 8 - 1;
            switch (_flags.Operation)
            {
                case null or FlagOperation.Materialized:
                    _il.Emit(OpCodes.Ldarg, CpuArgument);
                    _il.Emit(OpCodes.Call, CarryFlagMethod);
                    return;
                case FlagOperation.Add:
                    // ((d & s) | ((d | s) & ~r)) >> top & 1
                    _il.Emit(OpCodes.Ldloc, _flagDestination);
                    _il.Emit(OpCodes.Ldloc, _flagSource);
                    _il.Emit(OpCodes.And);
                    _il.Emit(OpCodes.Ldloc, _flagDestination);
                    _il.Emit(OpCodes.Ldloc, _flagSource);
                    _il.Emit(OpCodes.Or);
                    _il.Emit(OpCodes.Ldloc, _flagResult);
                    _il.Emit(OpCodes.Not);
                    _il.Emit(OpCodes.And);
                    _il.Emit(OpCodes.Or);
                    EmitBitAsInt(top);
                    return;
                case FlagOperation.Sub:
                    EmitCompare(unsigned: true, OpCodes.Clt_Un, _flags.Size);
                    return;
                case FlagOperation.SubWithBorrow:
                    // ((~d & s) | (~(d ^ s) & r)) >> top & 1
                    _il.Emit(OpCodes.Ldloc, _flagDestination);
                    _il.Emit(OpCodes.Not);
                    _il.Emit(OpCodes.Ldloc, _flagSource);
                    _il.Emit(OpCodes.And);
                    _il.Emit(OpCodes.Ldloc, _flagDestination);
                    _il.Emit(OpCodes.Ldloc, _flagSource);
                    _il.Emit(OpCodes.Xor);
                    _il.Emit(OpCodes.Not);
                    _il.Emit(OpCodes.Ldloc, _flagResult);
                    _il.Emit(OpCodes.And);
                    _il.Emit(OpCodes.Or);
                    EmitBitAsInt(top);
                    return;
                case FlagOperation.Logic:
                    _il.Emit(OpCodes.Ldc_I4_0);
                    return;
                case FlagOperation.Shifted:
                    _il.Emit(OpCodes.Ldloc, _flagDestination);
                    EmitBitAsInt(0);
                    return;
                default: // INC/DEC: the carry kept from before them.
                    if (_flags.CarryInLocal)
                    {
                        _il.Emit(OpCodes.Ldloc, _carryKept);
                    }
                    else
                    {
                        _il.Emit(OpCodes.Ldarg, CpuArgument);
                        _il.Emit(OpCodes.Ldfld, FlagCarryKeptField);
                    }
                    return;
            }
        }

        private void EmitBitAsInt(int bit)
        {
            if (bit != 0)
            {
                _il.Emit(OpCodes.Ldc_I4, bit);
                _il.Emit(OpCodes.Shr_Un);
            }
            _il.Emit(OpCodes.Conv_I4);
            _il.Emit(OpCodes.Ldc_I4_1);
            _il.Emit(OpCodes.And);
        }
    }
}
