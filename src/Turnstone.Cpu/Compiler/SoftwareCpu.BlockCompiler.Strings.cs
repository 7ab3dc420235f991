using System.Reflection;
using System.Reflection.Emit;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

public sealed unsafe partial class SoftwareCpu
{
    // MOVS, STOS and LODS without a REP prefix in emitted code, as the interpreter's MoveOnce/
    // StoreOnce/LoadOnce do them: the source at the segment's base + (E)SI, the destination at ES's
    // base (none in 64-bit mode) + (E)DI, both wrapped at the address size, the index registers
    // stepped by the operand size down when DF is set, and written at the address size. A fault
    // leaves before the index registers move. GRUB's memcpy and memmove are byte loops (`cmp ecx,
    // edi; je; movsb; jmp`): every file it reads and module it loads is copied a byte at a time,
    // which took about 21 ns a byte through the interpreter's handler. Repeated forms stay with the
    // interpreter, which runs them in chunks.
    private sealed partial class BlockCompiler
    {
        private const int Accumulator = 0, SourceIndex = 6, DestinationIndex = 7;

        private static readonly FieldInfo RflagsField = Field(nameof(_rflags));
        private static readonly FieldInfo Executing64BitCodeField = Field(nameof(_executing64BitCode));

        private static bool IsSingleString(ref DecodedInstruction i) =>
            i.Op is Operation.Movs or Operation.Stos or Operation.Lods && (i.Flags & (OperandFlags.Rep | OperandFlags.Repne)) == 0;

        /// <summary>The index registers a single MOVS/STOS/LODS reads and moves (and the accumulator it reads or sets).</summary>
        private static int[] StringRegisters(Operation op) => op switch
        {
            Operation.Movs => [SourceIndex, DestinationIndex],
            Operation.Stos => [Accumulator, DestinationIndex],
            _ => [Accumulator, SourceIndex],
        };

        private void EmitStringOnce(ref DecodedInstruction i, int index)
        {
            int size = i.Size;
            if (i.Op == Operation.Stos)
            {
                EmitRead(size, Accumulator);
                _il.Emit(OpCodes.Stloc, _a);
            }
            else
            {
                EmitStringSource(ref i);
                _il.Emit(OpCodes.Stloc, _address);
                EmitTryRead(index, size);
                _il.Emit(OpCodes.Stloc, _a);
            }
            if (i.Op == Operation.Lods)
            {
                _il.Emit(OpCodes.Ldloc, _a);
                EmitWrite(size, Accumulator);
                EmitAdvanceIndex(ref i, SourceIndex);
                return;
            }
            EmitStringDestination(ref i);
            _il.Emit(OpCodes.Stloc, _address);
            _il.Emit(OpCodes.Ldloc, _a);
            EmitStore(index, size, breakCheck: false);
            if (i.Op == Operation.Movs)
            {
                EmitAdvanceIndex(ref i, SourceIndex);
            }
            EmitAdvanceIndex(ref i, DestinationIndex);
            EmitBlockBreakCheck(index);
        }

        /// <summary>Pushes the source's linear address: (E)SI at the address size + the segment's base.</summary>
        private void EmitStringSource(ref DecodedInstruction i)
        {
            EmitRead(8, SourceIndex);
            EmitSegmentedAddress(i.Flags, i.Segment);
        }

        /// <summary>Pushes the destination's linear address: (E)DI at the address size + ES's base outside 64-bit mode.</summary>
        private void EmitStringDestination(ref DecodedInstruction i)
        {
            Label flat = _il.DefineLabel();
            EmitRead(8, DestinationIndex);
            EmitAddressWrap(i.Flags);
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldfld, Executing64BitCodeField);
            _il.Emit(OpCodes.Brtrue, flat);
            EmitSegmentBase((int)SegmentName.Es);
            _il.Emit(OpCodes.Add);
            _il.MarkLabel(flat);
        }

        /// <summary>AdvanceIndex: the register moves by the operand size (down with DF set), written at the address size.</summary>
        private void EmitAdvanceIndex(ref DecodedInstruction i, int register)
        {
            Label up = _il.DefineLabel();
            Label stepped = _il.DefineLabel();
            EmitRead(8, register);
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldfld, RflagsField);
            _il.Emit(OpCodes.Ldc_I8, (long)RflagsBits.Df);
            _il.Emit(OpCodes.And);
            _il.Emit(OpCodes.Brfalse, up);
            _il.Emit(OpCodes.Ldc_I8, (long)-i.Size);
            _il.Emit(OpCodes.Br, stepped);
            _il.MarkLabel(up);
            _il.Emit(OpCodes.Ldc_I8, (long)i.Size);
            _il.MarkLabel(stepped);
            _il.Emit(OpCodes.Add);
            if ((i.Flags & OperandFlags.AddressSize16) != 0)
            {
                _il.Emit(OpCodes.Ldc_I8, 0xFFFFL);
                _il.Emit(OpCodes.And);
                EmitRead(8, register);
                _il.Emit(OpCodes.Ldc_I8, ~0xFFFFL);
                _il.Emit(OpCodes.And);
                _il.Emit(OpCodes.Or);
            }
            else if ((i.Flags & OperandFlags.AddressSize32) != 0)
            {
                _il.Emit(OpCodes.Ldc_I8, 0xFFFF_FFFFL);
                _il.Emit(OpCodes.And);
            }
            EmitWrite(8, register);
        }
    }
}
