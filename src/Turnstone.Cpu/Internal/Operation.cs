namespace Turnstone.Cpu.Internal;

/// <summary>
/// What a decoded instruction does, with its operand form folded in for the hot instructions
/// (register-register and register-immediate ALU operations dispatch without looking at operand
/// kinds). The eight ALU groups keep the x86 order (add, or, adc, sbb, and, sub, xor, cmp) so
/// <c>AddRR + kind</c> names the form of each.
/// </summary>
internal enum Operation : ushort
{
    Invalid,
    NotImplemented,
    Nop,

    AddRR, OrRR, AdcRR, SbbRR, AndRR, SubRR, XorRR, CmpRR,
    AddRI, OrRI, AdcRI, SbbRI, AndRI, SubRI, XorRI, CmpRI,
    /// <summary>Any ALU form with a memory operand; Aux is the <see cref="AluKind"/>.</summary>
    AluMemory,
    TestRR, TestRI, TestMemory,

    MovRR, MovRI, MovRM, MovMR, MovMI,
    MovzxRR, MovzxRM, MovsxRR, MovsxRM,
    Lea,
    PushR, PushI, PushM, PopR, PopM,
    IncR, DecR, IncM, DecM,
    Neg, Not,
    XchgRR, XchgRM,
    Cmpxchg, Xadd, Cmpxchg8b, Cmpxchg16b,
    ConvertAccumulator, ConvertAccumulatorToDx,
    Setcc, CmovRR, CmovRM,
    Bswap,
    Xlat,

    Shift, Shld, Shrd,
    Mul, Imul1, Imul2, Imul3, Div, Idiv,
    BitTest, Bsf, Bsr, Tzcnt, Lzcnt, Popcnt,

    Jmp, JmpR, JmpM, Jcc, Call, CallR, CallM, Ret, Loop, Loope, Loopne, Jrcxz,
    Leave, Enter,

    Movs, Stos, Lods, Cmps, Scas, Ins, Outs,
    In, Out,

    Cpuid, Rdtsc, Rdtscp, Rdmsr, Wrmsr,
    MovToCr, MovFromCr,
    Lgdt, Lidt, Sgdt, Sidt, Ltr, Str, Lldt, Sldt,
    LoadSegment, StoreSegment, PushSegment, PopSegment,
    Swapgs, Syscall, Sysret, Iret, Hlt,
    Cli, Sti, Pushf, Popf, Lahf, Sahf, Clc, Stc, Cmc, Cld, Std,
    IntN, Int3, Int1, Ud,
    Invlpg, Wbinvd, Clts,
    /// <summary>SSE moves of 128 bits (Aux 1: the memory operand must be 16-byte aligned), packed
    /// integer and logic operations (Aux: <see cref="SseKind"/>), shifts by an immediate; MOVD/MOVQ
    /// (Aux: 4 or 8 bytes; Immediate: <see cref="SseTranslator"/>'s direction bits), MOVLPx/MOVHPx
    /// (Aux: the half; Immediate 1: a store), PMOVMSKB to a general register, PSHUFD.</summary>
    SseMove, SsePacked, SseShiftImmediate, SseMoveScalar, SseMoveHalf, SseMoveMask, SseShuffleDwords,

    // Forms whose meaning depends on the mode (ModeTranslator, SoftwareCpu.ModeSpecific.cs): the
    // near branches and stack operations of 16/32-bit code (IP-relative displacement in Immediate,
    // operand size in Size), and far transfers and far-pointer loads in every mode.
    NearJmp, NearJcc, NearJmpIndirect, NearCall, NearCallIndirect, NearRet, NearLoop, NearJcxz,
    StackPush, StackPop, StackPushSegment, StackPopSegment, StackPushf, StackPopf, Pusha, Popa, StackEnter, StackLeave,
    FarJmp, FarJmpIndirect, FarCall, FarCallIndirect, FarRet, LoadFarPointer,
    Into, Bound, Arpl,
    Lar, Lsl, Verr, Verw, Sysenter, Sysexit,
    Daa, Das, Aaa, Aas, Aam, Aad, Salc,

    /// <summary>x87/SSE control run by the interpreter (Aux: <see cref="FloatControlKind"/>); x87,
    /// MMX and SSE computation run on the host (Immediate: the <see cref="HostExecution.HostInstructionTable"/> entry).</summary>
    FloatControl, HostFloatingPoint,
}
