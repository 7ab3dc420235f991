using System.Reflection;
using System.Reflection.Emit;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

public sealed unsafe partial class SoftwareCpu
{
    // Instructions whose interpreter handler compiled code calls directly: the flags go to the
    // lazy-flag fields first (the handler reads and sets them there) and only the registers the
    // handler reads or writes are handed over. EmitInterpreted stores and reloads every register
    // the block keeps and goes through Execute's dispatch; GRUB's LZMA decoder runs a PUSHFD and
    // two memory shifts in each pass of its hottest block.
    private sealed partial class BlockCompiler
    {
        private const int Counter = 1;

        private static readonly MethodInfo ShiftMethod = Method(nameof(Shift), typeof(DecodedInstruction).MakeByRefType());
        private static readonly MethodInfo StackPushFlagsMethod = Method(nameof(StackPushFlags), typeof(DecodedInstruction).MakeByRefType());
        private static readonly MethodInfo StackPopFlagsMethod = Method(nameof(StackPopFlags), typeof(DecodedInstruction).MakeByRefType());
        private static readonly MethodInfo PopFlagsMethod = Method(nameof(PopFlags), typeof(DecodedInstruction).MakeByRefType());
        private static readonly MethodInfo ChangeCarryFlagMethod = Method(nameof(ChangeCarryFlag), typeof(DecodedInstruction).MakeByRefType());

        /// <summary>Shifts and rotates the compiler does not emit itself (memory operands, counts in CL, RCL/RCR).</summary>
        private void EmitShiftThroughHandler(ref DecodedInstruction i, int index)
        {
            bool memory = (i.Flags & OperandFlags.Memory0) != 0;
            int[] reads = [FullRegister(i.Reg), FullRegister(i.Base), FullRegister(i.Index), Counter];
            EmitDirectHandler(index, ShiftMethod, reads, memory ? [] : [FullRegister(i.Reg)], storesMemory: memory, usesFlags: true);
        }

        private void EmitPushFlags(int index) =>
            EmitDirectHandler(index, StackPushFlagsMethod, [StackPointer], [StackPointer], storesMemory: true, usesFlags: true);

        /// <summary>CLC/STC/CMC: the flags go to the fields, whose carry the handler changes.</summary>
        private void EmitChangeCarry(int index) =>
            EmitDirectHandler(index, ChangeCarryFlagMethod, [], [], storesMemory: false, usesFlags: true);

        /// <summary>POPF (POPFQ in 64-bit code): the handler ends the block after it when the new flags
        /// need the run loop (EndBlockIfFlagsNeedRunLoop).</summary>
        private void EmitPopFlags(ref DecodedInstruction i, int index)
        {
            EmitDirectHandler(index, i.Op == Operation.Popf ? PopFlagsMethod : StackPopFlagsMethod, [StackPointer], [StackPointer],
                storesMemory: false, usesFlags: true);
            EmitBlockBreakCheck(index);
        }

        /// <summary>Calls handler(cpu, ref code[index]) or cpu.handler(ref code[index]); false from it
        /// leaves the block as a fault does. <paramref name="usesFlags"/>: it reads or sets the
        /// arithmetic flags, which then go to the lazy-flag fields first and are read back from there.</summary>
        private void EmitDirectHandler(int index, MethodInfo handler, int[] reads, int[] writes, bool storesMemory, bool usesFlags)
        {
            if (usesFlags)
            {
                SettlePendingRotate();
                EmitFlushFlags(_flags);
                _flags = default;
            }
            HandRegistersToCpu(reads);
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldarg, CodeArgument);
            _il.Emit(OpCodes.Ldc_I4, index);
            _il.Emit(OpCodes.Ldelema, typeof(DecodedInstruction));
            _il.Emit(OpCodes.Call, handler);
            TakeRegistersFromCpu(writes);
            _il.Emit(OpCodes.Brfalse, FaultExit(index));
            if (storesMemory)
            {
                EmitBlockBreakCheck(index);
            }
        }

        /// <summary>The 64-bit register an operand's register index lives in (AH-BH are 32-35); 16 and
        /// above (the zero and block-RIP registers) are not kept in locals.</summary>
        private static int FullRegister(int index) => index >= HighByteRegister ? index - HighByteRegister : index;
    }
}
