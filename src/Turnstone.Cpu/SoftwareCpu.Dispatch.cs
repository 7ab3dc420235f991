using System.Runtime.CompilerServices;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// The dispatcher: one switch on the decoded operation. A handler returns true when the
// instruction retired and the block goes on; false when it left the block (a jump with RIP set,
// a fault raised, an exit waiting for the host).
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>One instruction, for compiled blocks that hand an instruction back to the interpreter.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool Execute(ref DecodedInstruction i) => ExecuteInline(ref i);

    /// <summary>
    /// The switch itself, inlined into the interpreter's block loop (<see cref="ExecuteBlock"/>): a call
    /// per instruction cost a six-register prologue and epilogue around every handler. Interpreter
    /// only (TURNSTONE_COMPILE_THRESHOLD=-1, bench engine, alternating builds): integer loop 213-217 ->
    /// 281-284 M guest instructions/s, memory loop 189-194 -> 240 M/s.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool ExecuteInline(ref DecodedInstruction i)
    {
        switch (i.Op)
        {
            case Operation.AddRR: AluRegisterRegister(ref i, AluKind.Add); return true;
            case Operation.OrRR: AluRegisterRegister(ref i, AluKind.Or); return true;
            case Operation.AdcRR: AluRegisterRegister(ref i, AluKind.Adc); return true;
            case Operation.SbbRR: AluRegisterRegister(ref i, AluKind.Sbb); return true;
            case Operation.AndRR: AluRegisterRegister(ref i, AluKind.And); return true;
            case Operation.SubRR: AluRegisterRegister(ref i, AluKind.Sub); return true;
            case Operation.XorRR: AluRegisterRegister(ref i, AluKind.Xor); return true;
            case Operation.CmpRR: AluRegisterRegister(ref i, AluKind.Cmp); return true;
            case Operation.AddRI: AluRegisterImmediate(ref i, AluKind.Add); return true;
            case Operation.OrRI: AluRegisterImmediate(ref i, AluKind.Or); return true;
            case Operation.AdcRI: AluRegisterImmediate(ref i, AluKind.Adc); return true;
            case Operation.SbbRI: AluRegisterImmediate(ref i, AluKind.Sbb); return true;
            case Operation.AndRI: AluRegisterImmediate(ref i, AluKind.And); return true;
            case Operation.SubRI: AluRegisterImmediate(ref i, AluKind.Sub); return true;
            case Operation.XorRI: AluRegisterImmediate(ref i, AluKind.Xor); return true;
            case Operation.CmpRI: AluRegisterImmediate(ref i, AluKind.Cmp); return true;
            case Operation.AluMemory: return AluMemory(ref i);
            case Operation.TestRR: Test(i.Size, ReadRegister(i.Size, i.Reg), ReadRegister(i.Size, i.Reg2)); return true;
            case Operation.TestRI: Test(i.Size, ReadRegister(i.Size, i.Reg), i.Immediate & SizeMask(i.Size)); return true;
            case Operation.TestMemory: return TestMemory(ref i);

            case Operation.MovRR: WriteRegister(i.Size, i.Reg, ReadRegister(i.Size, i.Reg2)); return true;
            case Operation.MovRI: WriteRegister(i.Size, i.Reg, i.Immediate); return true;
            case Operation.MovRM: return MovRegisterMemory(ref i);
            case Operation.MovMR: return TryWrite(EffectiveAddress(ref i), i.Size, ReadRegister(i.Size, i.Reg2));
            case Operation.MovMI: return TryWrite(EffectiveAddress(ref i), i.Size, i.Immediate);
            case Operation.MovzxRR: WriteRegister(i.Size, i.Reg, ReadRegister(i.Aux, i.Reg2)); return true;
            case Operation.MovsxRR: WriteRegister(i.Size, i.Reg, (ulong)SignExtend(ReadRegister(i.Aux, i.Reg2), i.Aux)); return true;
            case Operation.MovzxRM: return MovExtendMemory(ref i, signed: false);
            case Operation.MovsxRM: return MovExtendMemory(ref i, signed: true);
            case Operation.Lea: WriteRegister(i.Size, i.Reg, EffectiveAddress(ref i)); return true;
            case Operation.PushR: return Push(R(i.Reg));
            case Operation.PushI: return Push(i.Immediate);
            case Operation.PushM: return PushMemory(ref i);
            case Operation.PopR: return PopRegister(ref i);
            case Operation.PopM: return PopMemory(ref i);
            case Operation.IncR: WriteRegister(i.Size, i.Reg, Increment(i.Size, ReadRegister(i.Size, i.Reg))); return true;
            case Operation.DecR: WriteRegister(i.Size, i.Reg, Decrement(i.Size, ReadRegister(i.Size, i.Reg))); return true;
            case Operation.IncM: return IncrementMemory(ref i, decrement: false);
            case Operation.DecM: return IncrementMemory(ref i, decrement: true);
            case Operation.Neg: return Negate(ref i);
            case Operation.Not: return Not(ref i);
            case Operation.XchgRR: return ExchangeRegisters(ref i);
            case Operation.XchgRM: return ExchangeMemory(ref i);
            case Operation.Cmpxchg: return CompareExchange(ref i);
            case Operation.Xadd: return ExchangeAdd(ref i);
            case Operation.Cmpxchg8b: return CompareExchange8Bytes(ref i);
            case Operation.Cmpxchg16b: return CompareExchange16Bytes(ref i);
            case Operation.ConvertAccumulator: ConvertAccumulator(i.Size); return true;
            case Operation.ConvertAccumulatorToDx: ConvertAccumulatorToDx(i.Size); return true;
            case Operation.Setcc: return WriteOperand0(ref i, Condition(i.Aux) ? 1UL : 0UL);
            case Operation.CmovRR: ConditionalMove(ref i, ReadRegister(i.Size, i.Reg2)); return true;
            case Operation.CmovRM: return ConditionalMoveMemory(ref i);
            case Operation.Bswap: ByteSwap(ref i); return true;
            case Operation.Xlat: return Translate(ref i);

            case Operation.Shift: return Shift(ref i);
            case Operation.Shld: return DoubleShift(ref i, left: true);
            case Operation.Shrd: return DoubleShift(ref i, left: false);
            case Operation.Mul: return Multiply(ref i);
            case Operation.Imul1: return SignedMultiplyWide(ref i);
            case Operation.Imul2: return SignedMultiply(ref i, threeOperand: false);
            case Operation.Imul3: return SignedMultiply(ref i, threeOperand: true);
            case Operation.Div: return Divide(ref i);
            case Operation.Idiv: return SignedDivide(ref i);
            case Operation.BitTest: return BitTest(ref i);
            case Operation.Bsf: return BitScan(ref i, forward: true);
            case Operation.Bsr: return BitScan(ref i, forward: false);
            case Operation.Tzcnt: return BitScan(ref i, forward: true);
            case Operation.Lzcnt: return CountLeadingZeros(ref i);
            case Operation.Popcnt: return PopulationCount(ref i);

            case Operation.Jmp: _rip = R(BlockRipRegister) + i.Immediate; return false;
            case Operation.Jcc:
                if (Condition(i.Aux))
                {
                    _rip = R(BlockRipRegister) + i.Immediate;
                    return false;
                }
                return true;
            case Operation.JmpR: return JumpTo(R(i.Reg));
            case Operation.JmpM: return JumpIndirect(ref i);
            case Operation.Call: return CallTo(ref i, R(BlockRipRegister) + i.Immediate);
            case Operation.CallR: return CallTo(ref i, R(i.Reg));
            case Operation.CallM: return CallIndirect(ref i);
            case Operation.Ret: return Return(ref i);
            case Operation.Loop: return LoopBranch(ref i, 0);
            case Operation.Loope: return LoopBranch(ref i, 1);
            case Operation.Loopne: return LoopBranch(ref i, 2);
            case Operation.Jrcxz: return JumpIfCounterZero(ref i);
            case Operation.Leave: return Leave();
            case Operation.Enter: return Enter(ref i);

            case Operation.Movs: return MoveString(ref i);
            case Operation.Stos: return StoreString(ref i);
            case Operation.Lods: return LoadString(ref i);
            case Operation.Cmps: return CompareStrings(ref i);
            case Operation.Scas: return ScanString(ref i);
            case Operation.Ins: return InputString(ref i);
            case Operation.Outs: return OutputString(ref i);
            case Operation.In: return Input(ref i);
            case Operation.Out: return Output(ref i);

            case Operation.Cpuid: Cpuid(); return true;
            case Operation.Rdtsc: return ReadTimeStampCounter(withAux: false);
            case Operation.Rdtscp: return ReadTimeStampCounter(withAux: true);
            case Operation.Rdmsr: return ReadMsrInstruction();
            case Operation.Wrmsr: return WriteMsrInstruction(ref i);
            case Operation.MovToCr: return MoveToControlRegister(ref i);
            case Operation.MovFromCr: return MoveFromControlRegister(ref i);
            case Operation.Lgdt: return LoadDescriptorTable(ref i, interrupt: false);
            case Operation.Lidt: return LoadDescriptorTable(ref i, interrupt: true);
            case Operation.Sgdt: return StoreDescriptorTable(ref i, _gdtr);
            case Operation.Sidt: return StoreDescriptorTable(ref i, _idtr);
            case Operation.Ltr: return LoadSystemSegmentInstruction(ref i, taskRegister: true);
            case Operation.Lldt: return LoadSystemSegmentInstruction(ref i, taskRegister: false);
            case Operation.Str: return StoreSelector(ref i, _tr.Selector);
            case Operation.Sldt: return StoreSelector(ref i, _ldtr.Selector);
            case Operation.LoadSegment: return LoadSegmentInstruction(ref i);
            case Operation.StoreSegment: return StoreSelector(ref i, _segments[i.Aux].Selector);
            case Operation.PushSegment: return Push(_segments[i.Aux].Selector);
            case Operation.PopSegment: return PopSegment(ref i);
            case Operation.Swapgs: return SwapGs();
            case Operation.Syscall: return SystemCall(ref i);
            case Operation.Sysret: return SystemReturn(ref i);
            case Operation.Iret: return ExecuteIret(ref i);
            case Operation.Hlt: return Halt(ref i);
            case Operation.Cli: return SetInterruptFlag(ref i, enable: false);
            case Operation.Sti: return SetInterruptFlag(ref i, enable: true);
            case Operation.Pushf: return Push(MaterializeFlags() & ~(RflagsBits.Vm | RflagsBits.Rf));
            case Operation.Popf: return PopFlags(ref i);
            case Operation.Lahf: WriteRegister(1, HighByteRegister, MaterializeFlags() & 0xFF); return true;
            case Operation.Sahf: StoreAhIntoFlags(); return true;
            case Operation.Clc or Operation.Stc or Operation.Cmc: return ChangeCarryFlag(ref i);
            case Operation.Cld: _rflags &= ~RflagsBits.Df; return true;
            case Operation.Std: _rflags |= RflagsBits.Df; return true;
            case Operation.IntN: return SoftwareInterrupt(ref i, (byte)i.Immediate, EventKind.Software);
            case Operation.Int3: return SoftwareInterrupt(ref i, (byte)ExceptionVector.Breakpoint, EventKind.Software);
            case Operation.Int1: return SoftwareInterrupt(ref i, (byte)ExceptionVector.Debug, EventKind.External);
            case Operation.Ud: return InvalidOpcode();
            case Operation.Invlpg: return InvalidatePage(ref i);
            case Operation.Wbinvd: return _cpl == 0 || GeneralProtection();
            case Operation.Clts: return ClearTaskSwitched();
            case Operation.SseMove: return SseMove(ref i);
            case Operation.SsePacked: return SsePacked(ref i);
            case Operation.SseShiftImmediate: return SseShiftImmediate(ref i);
            case Operation.SseMoveScalar: return SseMoveScalar(ref i);
            case Operation.SseMoveHalf: return SseMoveHalf(ref i);
            case Operation.SseMoveMask: return SseMoveMask(ref i);
            case Operation.SseShuffleDwords: return SseShuffleDwords(ref i);
            case Operation.FloatControl: return FloatControl(ref i);
            case Operation.HostFloatingPoint: return HostFloatingPoint(ref i);
            case Operation.Nop: return true;
            case Operation.Invalid: return InvalidOpcode();
            default: return ExecuteModeSpecific(ref i);
        }
    }
}
