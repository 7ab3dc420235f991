using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Iced.Intel;
using Turnstone.Cpu.Internal;
using RflagsBits = Iced.Intel.RflagsBits;
using static Turnstone.Cpu.Native.NativeState;

namespace Turnstone.Cpu.Native;

/// <summary>
/// The third tier: translates a decoded 64-bit block into host x86-64 code that runs the guest's
/// own instructions on the host CPU. Each integer instruction is re-encoded with its register
/// operands moved into host scratch registers (loaded from and stored back to the register file
/// RBX points at, <see cref="NativeState"/>) and its memory operand replaced by the host address
/// an inline look-up of the software TLB found; so results and the arithmetic flags are the host
/// CPU's own, with no flag computation at all. Branches store the next RIP; anything the
/// translation does not take (a TLB miss, MMIO, an instruction outside its list) stops the
/// block before that instruction, and the interpreter carries on from there with the state exact.
/// </summary>
/// <remarks>
/// The guest's flags live in one of three places while the block runs (<see cref="FlagPlace"/>): still
/// in the CPU's lazy-flag fields (the block has not touched them), in the host's RFLAGS (after an
/// instruction that set them), or in the flags slot (saved there before the TLB look-up's own
/// compares clobber RFLAGS). Every exit knows statically where they are and says so in its return value.
/// One translator per thread, reused: translation allocates little beyond the result.
/// </remarks>
internal sealed partial class NativeBlockCompiler
{
    private enum FlagPlace { Fields, Host, Slot }

    private const RflagsBits ArithmeticFlags = RflagsBits.OF | RflagsBits.SF | RflagsBits.ZF | RflagsBits.AF | RflagsBits.CF | RflagsBits.PF;

    [ThreadStatic]
    private static NativeBlockCompiler? t_compiler;

    private readonly HostCodeEmitter _e = new();
    private readonly BlockBytesReader _reader = new();
    private readonly Decoder _decoder;
    private readonly InstructionInfoFactory _info = new();
    private readonly List<ExitStub> _stubs = [];
    private DecodedInstruction[] _code = [];
    private byte[] _bytes = [];
    private int _epilogue;
    /// <summary>Where a block that branches back to its own start goes round again (-1: it does not).</summary>
    private int _loopHead;
    private FlagPlace _flags;
    private bool _needsFlagsIn;

    /// <summary>An exit placed after the block's code, reached by a branch with the flags at <see cref="Flags"/>.</summary>
    private readonly record struct ExitStub(int Label, int Index, bool Resume, long? NextRip, FlagPlace Flags, bool LoopBack = false);

    private NativeBlockCompiler() => _decoder = Decoder.Create(64, _reader, 0, DecoderOptions.None);

    /// <summary>The translation of a block's longest translatable prefix when it covers at least half
    /// the block, or null (the block stays with the other tiers).</summary>
    public static NativeBlock? Compile(DecodedInstruction[] code, byte[] bytes)
    {
        if (!NativeCodeArena.IsSupported || code.Length == 0 || Unsafe.SizeOf<TlbEntry>() != TlbEntryBytes)
        {
            return null;
        }
        NativeBlockCompiler compiler = t_compiler ??= new NativeBlockCompiler();
        compiler.Start(code, bytes);
        try
        {
            int translated = compiler.EmitBlock();
            if (translated == 0 || translated * 2 < code.Length)
            {
                return null;
            }
            nint entry = NativeCodeArena.Place(compiler.Finish());
            return entry == 0 ? null : new NativeBlock(entry, compiler._needsFlagsIn, translated);
        }
        catch (InvalidOperationException)
        {
            return null; // an encoding Iced refused: the block stays with the other tiers
        }
    }

    private void Start(DecodedInstruction[] code, byte[] bytes)
    {
        _code = code;
        _bytes = bytes;
        _e.Reset();
        _stubs.Clear();
        _epilogue = _e.CreateLabel();
        _flags = FlagPlace.Fields;
        _needsFlagsIn = false;
    }

    /// <summary>Emits the instructions up to the first one left to the interpreter; returns how many.</summary>
    private int EmitBlock()
    {
        Emit(Instruction.Create(Code.Push_r64, Register.RBX));
        Emit(Instruction.Create(Code.Mov_r64_rm64, Register.RBX, Register.RDI));
        _loopHead = -1;
        if (BranchesToBlockStart(_code[^1]))
        {
            // Each pass starts with the flags in the slot: the first from the caller, the next from the pass before.
            _needsFlagsIn = true;
            _flags = FlagPlace.Slot;
            _loopHead = _e.CreateLabel();
            _e.Bind(_loopHead);
        }
        for (int index = 0; index < _code.Length; index++)
        {
            ref DecodedInstruction decoded = ref _code[index];
            // Decoded again from the block's bytes with IP the offset from the block start, as the
            // interpreter's form was: branch targets and RIP-relative addresses come out block-relative.
            _reader.Reset(_bytes, decoded.Offset);
            _decoder.IP = decoded.Offset;
            _decoder.Decode(out Instruction instruction);
            if (instruction.IsInvalid || instruction.Length != decoded.Length || !EmitInstruction(ref decoded, ref instruction, index))
            {
                return Stop(index);
            }
            if (IsBlockEnd(decoded.Op))
            {
                return index + 1;
            }
        }
        ref DecodedInstruction last = ref _code[^1];
        EmitExit(_code.Length, resume: false, nextRip: last.Offset + last.Length);
        return _code.Length;
    }

    private int Stop(int index)
    {
        if (index > 0)
        {
            EmitExit(index, resume: true, nextRip: null);
        }
        return index;
    }

    private static bool BranchesToBlockStart(in DecodedInstruction last) =>
        last.Op is Operation.Jcc or Operation.Jmp && last.Immediate == 0 && (last.Flags & OperandFlags.JumpedThrough) == 0;

    private static bool IsBlockEnd(Operation op) =>
        op is Operation.Jmp or Operation.JmpR or Operation.JmpM or Operation.Call or Operation.CallR or Operation.CallM or Operation.Ret;

    private ReadOnlySpan<byte> Finish()
    {
        foreach (ExitStub stub in _stubs)
        {
            _e.Bind(stub.Label);
            _flags = stub.Flags;
            if (stub.LoopBack)
            {
                EmitLoopBack(stub.Index);
            }
            else
            {
                EmitExit(stub.Index, stub.Resume, stub.NextRip);
            }
        }
        _e.Bind(_epilogue);
        Emit(Instruction.Create(Code.Pop_r64, Register.RBX));
        Emit(Instruction.Create(Code.Retnq));
        return _e.Finish();
    }

    // ---- emitting ----

    private void Emit(in Instruction instruction) => _e.Emit(instruction);

    private static MemoryOperand Slot(int slot) => new(Register.RBX, slot * 8);

    private void Load(Register register, int slot) => Emit(Instruction.Create(Code.Mov_r64_rm64, register, Slot(slot)));

    private void Store(int slot, Register register) => Emit(Instruction.Create(Code.Mov_rm64_r64, Slot(slot), register));

    private void Lea(Register register, Register @base, long displacement) =>
        Emit(Instruction.Create(Code.Lea_r64_m, register, new MemoryOperand(@base, displacement)));

    // ---- flags ----

    /// <summary>Before code that clobbers RFLAGS: the guest's flags, if the host holds them, go to the slot.</summary>
    private void SaveFlags()
    {
        if (_flags == FlagPlace.Host)
        {
            Emit(Instruction.Create(Code.Pushfq));
            Emit(Instruction.Create(Code.Pop_rm64, Slot(Flags)));
            _flags = FlagPlace.Slot;
        }
    }

    /// <summary>Before an instruction that reads flags or keeps some: the guest's flags in RFLAGS.</summary>
    private void LoadFlags()
    {
        if (_flags == FlagPlace.Host)
        {
            return;
        }
        if (_flags == FlagPlace.Fields)
        {
            _needsFlagsIn = true;
        }
        Emit(Instruction.Create(Code.Push_rm64, Slot(Flags)));
        Emit(Instruction.Create(Code.Popfq));
        _flags = FlagPlace.Host;
    }

    /// <summary>Leaves with the return value for <paramref name="index"/>; RIP from <paramref name="nextRip"/>
    /// (an offset from the block start) unless the caller stored it already or the block stops before the instruction.</summary>
    private void EmitExit(int index, bool resume, long? nextRip)
    {
        SaveFlags();
        if (nextRip is long offset)
        {
            Load(Register.RAX, BlockRip);
            Lea(Register.RAX, Register.RAX, offset);
            Store(NextRip, Register.RAX);
        }
        int flagsOut = _flags == FlagPlace.Slot ? FlagsOut : 0;
        Emit(Instruction.Create(Code.Mov_r32_imm32, Register.EAX, (index << IndexShift) | (resume ? StoppedBefore : 0) | flagsOut));
        _e.Branch(Code.Jmp_rel32_64, _epilogue);
    }

    /// <summary>A label for an exit placed after the block's code, taken with the flags where they are now.</summary>
    private int ExitLabel(int index, bool resume, long? nextRip)
    {
        int label = _e.CreateLabel();
        _stubs.Add(new ExitStub(label, index, resume, nextRip, _flags));
        return label;
    }

    private static bool HostHas(Operation op) => op switch
    {
        Operation.Tzcnt => Bmi1.IsSupported,
        Operation.Lzcnt => Lzcnt.IsSupported,
        Operation.Popcnt => Popcnt.IsSupported,
        _ => true,
    };
}

/// <summary>A translated block: its host entry, whether it wants the guest's flags in the slot, and
/// how many of the block's instructions it covers (the interpreter runs the rest).</summary>
internal sealed record NativeBlock(nint Entry, bool NeedsFlagsIn, int Translated);
