using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

public sealed unsafe partial class SoftwareCpu
{
    /// <summary>
    /// Compiles one decoded block (of any code size) into a DynamicMethod. Guest registers live in IL locals
    /// (loaded at entry, stored back at every exit); the flags of the last flag-setting instruction
    /// are kept in locals and stored into the lazy-flag fields only where the block is left, so a
    /// flag result overwritten within the block costs nothing. Instructions the compiler does not
    /// emit itself run through the interpreter's <see cref="Execute"/> with registers and flags
    /// written back around the call. Every exit leaves RIP, the registers, the flag fields and
    /// the retired count as <see cref="ExecuteBlock"/> would.
    /// </summary>
    private sealed partial class BlockCompiler
    {
        private const BindingFlags Private = BindingFlags.NonPublic | BindingFlags.Instance;
        private static readonly FieldInfo RegistersField = Field(nameof(_registers));
        private static readonly FieldInfo RipField = Field(nameof(_rip));
        private static readonly FieldInfo BlockBreakField = Field(nameof(_blockBreak));
        private static readonly FieldInfo NotRetiredField = Field(nameof(_notRetired));
        private static readonly FieldInfo FlagOperationField = Field(nameof(_flagOperation));
        private static readonly FieldInfo FlagSizeField = Field(nameof(_flagSize));
        private static readonly FieldInfo FlagDestinationField = Field(nameof(_flagDestination));
        private static readonly FieldInfo FlagSourceField = Field(nameof(_flagSource));
        private static readonly FieldInfo FlagResultField = Field(nameof(_flagResult));
        private static readonly FieldInfo FlagCarryKeptField = Field(nameof(_flagCarryKept));
        private static readonly FieldInfo SegmentBaseField = Field(nameof(_segmentBase));
        private static readonly FieldInfo StopRequestedField = Field(nameof(_stopRequested));
        private static readonly FieldInfo InterruptRequestedField = Field(nameof(_interruptRequested));
        private static readonly MethodInfo ExecuteMethod = Method(nameof(Execute), typeof(DecodedInstruction).MakeByRefType());
        private static readonly MethodInfo TryReadMethod = Method(nameof(TryRead), typeof(ulong), typeof(int), typeof(ulong).MakeByRefType());
        private static readonly MethodInfo TryWriteMethod = Method(nameof(TryWrite), typeof(ulong), typeof(int), typeof(ulong));
        private static readonly MethodInfo ConditionMethod = Method(nameof(Condition), typeof(int));
        private static readonly MethodInfo CarryFlagMethod = Method(nameof(CarryFlag));
        private static readonly MethodInfo KeepCarryMethod = Method(nameof(KeepCarry));

        private static FieldInfo Field(string name) =>
            typeof(SoftwareCpu).GetField(name, Private) ?? throw new MissingFieldException(nameof(SoftwareCpu), name);

        private static MethodInfo Method(string name, params Type[] parameters) =>
            typeof(SoftwareCpu).GetMethod(name, Private, parameters) ?? throw new MissingMethodException(nameof(SoftwareCpu), name);

        // Arguments of the emitted method: the block's instructions (bound into the delegate), the CPU, the budget.
        private const short CodeArgument = 0, CpuArgument = 1, BudgetArgument = 2;

        /// <summary>The flag-setting instruction whose operands are in the flag locals (null: the
        /// lazy-flag fields are current), whether the carry INC/DEC keep is in a local, and a rotate
        /// whose CF/OF still apply on top of that (its value in _rotated; see EmitRotate).</summary>
        private record struct FlagState(FlagOperation? Operation, int Size, bool CarryInLocal, ShiftKind? Rotate = null, int RotateSize = 0);

        private readonly DecodedInstruction[] _code;
        private readonly ILGenerator _il;
        private readonly LocalBuilder?[] _registers = new LocalBuilder?[16];
        private readonly LocalBuilder _registerArray, _blockRip, _retired;
        private readonly LocalBuilder _flagDestination, _flagSource, _flagResult, _carryKept;
        private readonly LocalBuilder _a, _b, _result, _address, _value, _written, _rotated;
        /// <summary>Declared by the first shift by CL.</summary>
        private LocalBuilder? _shiftCount;
        private FlagState _flags;
        private readonly List<(Label Label, int Index, FlagState Flags, bool Retired)> _exits = [];

        private BlockCompiler(DecodedInstruction[] code, ILGenerator il)
        {
            _code = code;
            _il = il;
            _registerArray = il.DeclareLocal(typeof(ulong[]));
            _blockRip = il.DeclareLocal(typeof(ulong));
            _retired = il.DeclareLocal(typeof(int));
            _flagDestination = il.DeclareLocal(typeof(ulong));
            _flagSource = il.DeclareLocal(typeof(ulong));
            _flagResult = il.DeclareLocal(typeof(ulong));
            _carryKept = il.DeclareLocal(typeof(bool));
            _a = il.DeclareLocal(typeof(ulong));
            _b = il.DeclareLocal(typeof(ulong));
            _result = il.DeclareLocal(typeof(ulong));
            _address = il.DeclareLocal(typeof(ulong));
            _value = il.DeclareLocal(typeof(ulong));
            _written = il.DeclareLocal(typeof(ulong));
            _rotated = il.DeclareLocal(typeof(ulong));
        }

        /// <summary>The compiled block, or null when too little of it would be compiled to gain anything.</summary>
        public static CompiledBlock? Compile(DecodedInstruction[] code)
        {
            if (!RuntimeFeature.IsDynamicCodeSupported)
            {
                return null; // NativeAOT: no DynamicMethod; such blocks stay with the interpreter
            }
            int native = 0;
            foreach (ref DecodedInstruction instruction in code.AsSpan())
            {
                native += IsCompiled(ref instruction) ? 1 : 0;
            }
            if (native == 0 || native * 2 < code.Length)
            {
                return null;
            }
            var method = new DynamicMethod("GuestBlock", typeof(int), [typeof(DecodedInstruction[]), typeof(SoftwareCpu), typeof(long)], typeof(SoftwareCpu), skipVisibility: true)
            {
                InitLocals = false,
            };
            new BlockCompiler(code, method.GetILGenerator()).EmitBlock(native == code.Length);
            return (CompiledBlock)method.CreateDelegate(typeof(CompiledBlock), code);
        }

        private void EmitBlock(bool allCompiled)
        {
            foreach (ref DecodedInstruction instruction in _code.AsSpan())
            {
                if (IsCompiled(ref instruction))
                {
                    UseRegister(instruction.Reg);
                    UseRegister(instruction.Reg2);
                    UseRegister(instruction.Base);
                    UseRegister(instruction.Index);
                    if (instruction.Op is Operation.Mul or Operation.Imul1)
                    {
                        UseRegister(0);
                        UseRegister(2);
                    }
                    if (instruction.Op is Operation.PushR or Operation.PopR or Operation.Call or Operation.Ret)
                    {
                        UseRegister(StackPointer);
                    }
                    if (instruction.Op is Operation.NearLoop || instruction.Op == Operation.Shift && IsShiftByCl(ref instruction))
                    {
                        UseRegister(Counter);
                    }
                    if (IsSingleString(ref instruction))
                    {
                        foreach (int register in StringRegisters(instruction.Op))
                        {
                            UseRegister(register);
                        }
                    }
                }
            }
            // A negative budget returns at once, touching nothing (not even the CPU): the background
            // compiler calls each new method so, to have the JIT compile it on its own thread.
            Label run = _il.DefineLabel();
            _il.Emit(OpCodes.Ldarg, BudgetArgument);
            _il.Emit(OpCodes.Ldc_I8, 0L);
            _il.Emit(OpCodes.Bge, run);
            _il.Emit(OpCodes.Ldc_I4_0);
            _il.Emit(OpCodes.Ret);
            _il.MarkLabel(run);
            // The interpreter's block prologue.
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldc_I4_0);
            _il.Emit(OpCodes.Stfld, BlockBreakField);
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldfld, RegistersField);
            _il.Emit(OpCodes.Stloc, _registerArray);
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldfld, RipField);
            _il.Emit(OpCodes.Stloc, _blockRip);
            _il.Emit(OpCodes.Ldloc, _registerArray);
            _il.Emit(OpCodes.Ldc_I4, BlockRipRegister);
            _il.Emit(OpCodes.Ldloc, _blockRip);
            _il.Emit(OpCodes.Stelem_I8);
            _il.Emit(OpCodes.Ldc_I4_0);
            _il.Emit(OpCodes.Stloc, _retired);
            LoadRegisters();
            _flags = default;

            ref DecodedInstruction last = ref _code[^1];
            // A block ending in a branch to its own start (a loop) runs further passes in here while
            // the budget allows and nothing waits: one pass with the flags as found, then a second
            // copy entered with the flag state the first pass leaves, which loops on itself.
            bool selfLoop = allCompiled && BranchesToBlockStart(ref last);
            if (!selfLoop)
            {
                EmitPass(null);
            }
            else
            {
                Label firstPass = _il.DefineLabel();
                Label secondPass = _il.DefineLabel();
                _il.MarkLabel(firstPass);
                EmitPass(secondPass);
                FlagState loopEntry = _flags;
                _il.MarkLabel(secondPass);
                EmitPass(secondPass, loopEntry, firstPass);
            }
            EmitExits();
        }

        /// <summary>Emits the block's instructions once. <paramref name="loopTo"/>: where a taken branch
        /// to the block start continues (null: it leaves the block), expecting <paramref name="loopFlags"/>
        /// (when given); with other flags it goes to <paramref name="fallbackLoop"/> with the fields current.</summary>
        private void EmitPass(Label? loopTo, FlagState? loopFlags = null, Label? fallbackLoop = null)
        {
            for (int index = 0; index < _code.Length; index++)
            {
                ref DecodedInstruction instruction = ref _code[index];
                if (instruction.Op is Operation.Jcc or Operation.Jmp || IsNearBranch(instruction.Op))
                {
                    EmitBranch(ref instruction, index, loopTo, loopFlags, fallbackLoop);
                }
                else if (!EmitInstruction(ref instruction, index))
                {
                    EmitInterpreted(index);
                }
            }
            // Fell off the end (the page end, a not-taken Jcc, an instruction ending the block).
            ref DecodedInstruction last = ref _code[^1];
            EmitLeave(last.Offset + last.Length, _code.Length);
        }

        private void EmitBranch(ref DecodedInstruction instruction, int index, Label? loopTo, FlagState? loopFlags, Label? fallbackLoop)
        {
            Label notTaken = _il.DefineLabel();
            if (instruction.Op is Operation.Jcc or Operation.NearJcc)
            {
                EmitCondition(instruction.Aux);
                _il.Emit(OpCodes.Brfalse, notTaken);
            }
            else if (instruction.Op is Operation.NearLoop)
            {
                EmitLoopCondition(ref instruction, index);
                _il.Emit(OpCodes.Brfalse, notTaken);
            }
            if (loopTo is { } again && BranchesToBlockStart(ref instruction))
            {
                // Another pass only with the budget for all of it, no stop or interrupt waiting and the code unchanged.
                Label leave = _il.DefineLabel();
                _il.Emit(OpCodes.Ldloc, _retired);
                _il.Emit(OpCodes.Ldc_I4, index + 1);
                _il.Emit(OpCodes.Add);
                _il.Emit(OpCodes.Stloc, _retired);
                _il.Emit(OpCodes.Ldloc, _retired);
                _il.Emit(OpCodes.Ldc_I4, _code.Length);
                _il.Emit(OpCodes.Add);
                _il.Emit(OpCodes.Conv_I8);
                _il.Emit(OpCodes.Ldarg, BudgetArgument);
                _il.Emit(OpCodes.Bgt, leave);
                _il.Emit(OpCodes.Ldarg, CpuArgument);
                _il.Emit(OpCodes.Volatile);
                _il.Emit(OpCodes.Ldfld, StopRequestedField);
                _il.Emit(OpCodes.Brtrue, leave);
                _il.Emit(OpCodes.Ldarg, CpuArgument);
                _il.Emit(OpCodes.Ldfld, InterruptRequestedField);
                _il.Emit(OpCodes.Brtrue, leave);
                // Code written from elsewhere (the host, a device) invalidated the block.
                _il.Emit(OpCodes.Ldarg, CpuArgument);
                _il.Emit(OpCodes.Volatile);
                _il.Emit(OpCodes.Ldfld, BlockBreakField);
                _il.Emit(OpCodes.Brtrue, leave);
                if (loopFlags is { } wanted && wanted != _flags)
                {
                    // The pass ends with another flag state than the loop copy starts from: hand the
                    // flags over through the fields and go round the first copy.
                    EmitFlushFlags(_flags);
                    _il.Emit(OpCodes.Br, fallbackLoop!.Value);
                }
                else
                {
                    _il.Emit(OpCodes.Br, again);
                }
                _il.MarkLabel(leave);
                StoreRegisters();
                EmitFlushFlags(_flags);
                EmitSetRip(0);
                _il.Emit(OpCodes.Ldloc, _retired);
                _il.Emit(OpCodes.Ret);
            }
            else if (IsNearBranch(instruction.Op))
            {
                EmitNearBranchTaken(ref instruction, index);
            }
            else
            {
                StoreRegisters();
                EmitFlushFlags(_flags);
                EmitSetRip((long)instruction.Immediate);
                EmitReturnRetired(index + 1);
            }
            _il.MarkLabel(notTaken);
        }

        /// <summary>Runs one instruction through the interpreter.</summary>
        private void EmitInterpreted(int index)
        {
            ref DecodedInstruction instruction = ref _code[index];
            StoreRegisters();
            EmitFlushFlags(_flags);
            _flags = default;
            Label retired = _il.DefineLabel();
            Label next = _il.DefineLabel();
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldarg, CodeArgument);
            _il.Emit(OpCodes.Ldc_I4, index);
            _il.Emit(OpCodes.Ldelema, typeof(DecodedInstruction));
            _il.Emit(OpCodes.Call, ExecuteMethod);
            LoadRegisters();
            _il.Emit(OpCodes.Brtrue, retired);
            // Left the block: registers and flags are in the fields already.
            EmitNotRetiredReturn(index);
            _il.MarkLabel(retired);
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldfld, BlockBreakField);
            _il.Emit(OpCodes.Brfalse, next);
            EmitSetRip(instruction.Offset + instruction.Length);
            EmitReturnRetired(index + 1);
            _il.MarkLabel(next);
        }

        /// <summary>A compiled access faulted (or needs the host): leave as the interpreter does.</summary>
        private Label FaultExit(int index)
        {
            Label label = _il.DefineLabel();
            _exits.Add((label, index, _flags, false));
            return label;
        }

        /// <summary>After a store: a write to a page with decoded code ends the block after this instruction.</summary>
        private void EmitBlockBreakCheck(int index)
        {
            Label label = _il.DefineLabel();
            _exits.Add((label, index, _flags, true));
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldfld, BlockBreakField);
            _il.Emit(OpCodes.Brtrue, label);
        }

        private void EmitExits()
        {
            foreach (var (label, index, flags, retired) in _exits)
            {
                _il.MarkLabel(label);
                StoreRegisters();
                EmitFlushFlags(flags);
                if (retired)
                {
                    ref DecodedInstruction instruction = ref _code[index];
                    EmitSetRip(instruction.Offset + instruction.Length);
                    EmitReturnRetired(index + 1);
                }
                else
                {
                    EmitNotRetiredReturn(index);
                }
            }
        }

        /// <summary>ExecuteBlock's handling of a handler returning false.</summary>
        private void EmitNotRetiredReturn(int index)
        {
            Label retired = _il.DefineLabel();
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldfld, NotRetiredField);
            _il.Emit(OpCodes.Brfalse, retired);
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldc_I4_0);
            _il.Emit(OpCodes.Stfld, NotRetiredField);
            EmitSetRip(_code[index].Offset);
            EmitReturnRetired(index);
            _il.MarkLabel(retired);
            EmitReturnRetired(index + 1);
        }

        private void EmitLeave(long ripOffset, int retired)
        {
            StoreRegisters();
            EmitFlushFlags(_flags);
            EmitSetRip(ripOffset);
            EmitReturnRetired(retired);
        }

        private void EmitSetRip(long offset)
        {
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldloc, _blockRip);
            if (offset != 0)
            {
                _il.Emit(OpCodes.Ldc_I8, offset);
                _il.Emit(OpCodes.Add);
            }
            _il.Emit(OpCodes.Stfld, RipField);
        }

        private void EmitReturnRetired(int count)
        {
            _il.Emit(OpCodes.Ldloc, _retired);
            _il.Emit(OpCodes.Ldc_I4, count);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Ret);
        }

        private void UseRegister(int index)
        {
            int full = index >= HighByteRegister ? index - HighByteRegister : index;
            if (full < 16)
            {
                _registers[full] ??= _il.DeclareLocal(typeof(ulong));
            }
        }

        private static readonly int[] GeneralRegisters = [.. Enumerable.Range(0, 16)];

        private void LoadRegisters() => TakeRegistersFromCpu(GeneralRegisters);

        private void StoreRegisters() => HandRegistersToCpu(GeneralRegisters);

        /// <summary>Stores the locals of these registers (those the block keeps in locals; indexes of 16
        /// and more are no general registers) into the register array, for an interpreter method that
        /// works on the array.</summary>
        private void HandRegistersToCpu(params int[] registers)
        {
            foreach (int index in registers)
            {
                if (index < 16 && _registers[index] is { } local)
                {
                    _il.Emit(OpCodes.Ldloc, _registerArray);
                    _il.Emit(OpCodes.Ldc_I4, index);
                    _il.Emit(OpCodes.Ldloc, local);
                    _il.Emit(OpCodes.Stelem_I8);
                }
            }
        }

        /// <summary>Reloads these registers' locals from the register array after such a method
        /// (leaves the IL stack as it was).</summary>
        private void TakeRegistersFromCpu(params int[] registers)
        {
            foreach (int index in registers)
            {
                if (index < 16 && _registers[index] is { } local)
                {
                    _il.Emit(OpCodes.Ldloc, _registerArray);
                    _il.Emit(OpCodes.Ldc_I4, index);
                    _il.Emit(OpCodes.Ldelem_I8);
                    _il.Emit(OpCodes.Stloc, local);
                }
            }
        }

        /// <summary>Stores the flag locals into the lazy-flag fields, as the interpreter would have set them.</summary>
        private void EmitFlushFlags(FlagState flags)
        {
            if (flags.Operation is { } operation)
            {
                _il.Emit(OpCodes.Ldarg, CpuArgument);
                _il.Emit(OpCodes.Ldc_I4, (int)operation);
                _il.Emit(OpCodes.Stfld, FlagOperationField);
                _il.Emit(OpCodes.Ldarg, CpuArgument);
                _il.Emit(OpCodes.Ldc_I4, flags.Size);
                _il.Emit(OpCodes.Stfld, FlagSizeField);
                StoreField(FlagDestinationField, _flagDestination);
                StoreField(FlagSourceField, _flagSource);
                StoreField(FlagResultField, _flagResult);
            }
            if (flags.CarryInLocal)
            {
                StoreField(FlagCarryKeptField, _carryKept);
            }
            if (flags.Rotate is not null)
            {
                EmitApplyRotate(flags);
            }
        }

        private void StoreField(FieldInfo field, LocalBuilder local)
        {
            _il.Emit(OpCodes.Ldarg, CpuArgument);
            _il.Emit(OpCodes.Ldloc, local);
            _il.Emit(OpCodes.Stfld, field);
        }
    }
}
