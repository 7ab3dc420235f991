using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Iced.Intel;
using Turnstone.Cpu.Internal;
using RflagsBits = Iced.Intel.RflagsBits;
using static Turnstone.Cpu.Native.NativeState;

namespace Turnstone.Cpu.Native;

/// <summary>
/// The third tier: translates a decoded 64- or 32-bit block into host x86-64 code that runs the guest's
/// own instructions on the host CPU. Each integer instruction is re-encoded with its register
/// operands moved into host scratch registers (loaded from and stored back to the register file
/// RBX points at, <see cref="NativeState"/>) and its memory operand replaced by the host address
/// an inline look-up of the software TLB found; so results and the arithmetic flags are the host
/// CPU's own, with no flag computation at all. Branches store the next RIP; anything the
/// translation does not take (a TLB miss, MMIO, an instruction outside its list) stops the
/// block before that instruction, and the interpreter carries on from there with the state exact.
/// </summary>
/// <remarks>
/// The guest's flags come in through the flags slot and live in one of two places while the block
/// runs (<see cref="FlagPlace"/>): in the host's RFLAGS (after an instruction that set them or read
/// them), or in the slot (saved there before the TLB look-up's own compares clobber RFLAGS). Every
/// exit leaves them in the slot. A direct branch to the block's own page can be chained: patched
/// to jump straight into the target block's translation (<see cref="NativeBlock.ChainExits"/>).
/// One translator per thread, reused: translation allocates little beyond the result.
/// </remarks>
internal sealed partial class NativeBlockCompiler
{
    private enum FlagPlace { Host, Slot }

    private const RflagsBits ArithmeticFlags = RflagsBits.OF | RflagsBits.SF | RflagsBits.ZF | RflagsBits.AF | RflagsBits.CF | RflagsBits.PF;

    [ThreadStatic]
    private static NativeBlockCompiler? t_compiler;

    private readonly HostCodeEmitter _e = new();
    private readonly BlockBytesReader _reader = new();
    private readonly Decoder _decoder, _decoder32;
    /// <summary>The block is 32-bit code (protected or compatibility mode; NativeBlockCompiler.Legacy.cs).</summary>
    private bool _legacy;
    private readonly InstructionInfoFactory _info = new();
    private readonly List<ExitStub> _stubs = [];
    private DecodedInstruction[] _code = [];
    private byte[] _bytes = [];
    private int _epilogue;
    /// <summary>Where a block that branches back to its own start goes round again (-1: it does not).</summary>
    private int _loopHead;
    private FlagPlace _flags;
    /// <summary>The block's first byte's offset in its page: a branch target that stays in the page can be chained.</summary>
    private int _pageOffset;
    private int _chainEntry;
    private readonly List<ChainExit> _chainExits = [];
    /// <summary>Labels of the code after an instruction left to the interpreter, by that next instruction's index (-1: none).</summary>
    private readonly int[] _resumeLabels = new int[SoftwareCpu.MaxBlockInstructions];

    /// <summary>An exit placed after the block's code, reached by a branch with the flags at <see cref="Flags"/>.</summary>
    private readonly record struct ExitStub(int Label, int Index, bool Resume, long? NextRip, FlagPlace Flags, bool LoopBack = false, bool Branch = false);

    /// <summary>A chainable exit while emitting: the label of its way back to the run loop, which its patchable jump ends at.</summary>
    private readonly record struct ChainExit(int Slow, long TargetOffset);

    private NativeBlockCompiler()
    {
        _decoder = Decoder.Create(64, _reader, 0, DecoderOptions.None);
        _decoder32 = Decoder.Create(32, _reader, 0, DecoderOptions.None);
    }

    /// <summary>The block's translation, where every instruction the translation does not take stops the
    /// block before it and has a way back in after it (<see cref="NativeBlock.ResumeOffsets"/>); null for
    /// 16/32-bit code, and when too little of the block would run as host code to gain anything (it stays
    /// with the other tiers).</summary>
    public static NativeBlock? Compile(DecodedBlock block)
    {
        DecodedInstruction[] code = block.Instructions;
        if (block.CodeSizeTag is not (Tag64BitCode or Tag32BitCode) || !NativeCodeArena.IsSupported || code.Length == 0 || Unsafe.SizeOf<TlbEntry>() != TlbEntryBytes)
        {
            return null;
        }
        byte[] bytes = block.Code;
        int pageOffset = (int)(block.PhysicalStart & 0xFFF);
        NativeBlockCompiler compiler = t_compiler ??= new NativeBlockCompiler();
        compiler.Start(code, bytes, pageOffset, legacy: block.CodeSizeTag == Tag32BitCode);
        try
        {
            int translated = compiler.EmitBlock();
            if (translated * 2 < code.Length)
            {
                return null;
            }
            ReadOnlySpan<byte> machineCode = compiler.Finish();
            nint entry = NativeCodeArena.Place(machineCode, out nint writable);
            return entry == 0 ? null : compiler.Describe(entry, writable);
        }
        catch (InvalidOperationException)
        {
            return null; // an encoding Iced refused: the block stays with the other tiers
        }
    }

    /// <summary>DecodedBlock.CodeSizeTag of 64-bit code and of 32-bit code (16-bit code stays with the other tiers).</summary>
    private const int Tag64BitCode = 0, Tag32BitCode = 1;

    private void Start(DecodedInstruction[] code, byte[] bytes, int pageOffset, bool legacy)
    {
        _code = code;
        _legacy = legacy;
        _bytes = bytes;
        _pageOffset = pageOffset;
        _e.Reset();
        _stubs.Clear();
        _chainExits.Clear();
        _epilogue = _e.CreateLabel();
        _chainEntry = _e.CreateLabel();
        _flags = FlagPlace.Slot;
        Array.Fill(_resumeLabels, -1);
    }

    private NativeBlock Describe(nint entry, nint writable)
    {
        var exits = new NativeChainExit[_chainExits.Count];
        for (int i = 0; i < exits.Length; i++)
        {
            ChainExit exit = _chainExits[i];
            int slowPath = _e.Offset(exit.Slow);
            exits[i] = new NativeChainExit(slowPath - 4, slowPath, exit.TargetOffset); // the jump's rel32 field ends where the slow path starts
        }
        int[]? resume = null;
        for (int index = 0; index < _code.Length; index++)
        {
            if (_resumeLabels[index] >= 0)
            {
                resume ??= new int[_code.Length];
                resume[index] = _e.Offset(_resumeLabels[index]);
            }
        }
        return new NativeBlock(entry, writable, _e.Offset(_chainEntry), exits, resume);
    }

    /// <summary>Emits the block; returns how many of its instructions run as host code.</summary>
    private int EmitBlock()
    {
        EmitPrologue();
        // A chained block jumps in here with RBX set and the flags in the slot, as after the prologue.
        _e.Bind(_chainEntry);
        int translated = 0;
        bool lastStopped = false;
        _loopHead = BranchesToBlockStart(_code[^1], _legacy) ? _e.CreateLabel() : -1;
        ChooseCachedRegisters();
        EmitCacheLoads();
        if (_loopHead >= 0)
        {
            _e.Bind(_loopHead);
        }
        for (int index = 0; index < _code.Length; index++)
        {
            ref DecodedInstruction decoded = ref _code[index];
            // Decoded again from the block's bytes with IP the offset from the block start, as the
            // interpreter's form was: branch targets and RIP-relative addresses come out block-relative.
            Decoder decoder = _legacy ? _decoder32 : _decoder;
            _reader.Reset(_bytes, decoded.Offset);
            decoder.IP = decoded.Offset;
            decoder.Decode(out Instruction instruction);
            if (instruction.IsInvalid || instruction.Length != decoded.Length || !EmitInstruction(ref decoded, ref instruction, index))
            {
                // The interpreter runs this one; where it goes on to the next, the run loop comes back
                // in after it (the resume entry, emitted with the exits) with the flags in the slot.
                EmitExit(index, resume: true, nextRip: null);
                lastStopped = true;
                if (index + 1 < _code.Length)
                {
                    _resumeLabels[index + 1] = _e.CreateLabel();
                    _e.Bind(_resumeLabels[index + 1]);
                    _flags = FlagPlace.Slot;
                }
                continue;
            }
            translated++;
            lastStopped = false;
            if (IsBlockEnd(decoded.Op))
            {
                return translated;
            }
        }
        ref DecodedInstruction last = ref _code[^1];
        if (!lastStopped)
        {
            EmitExit(_code.Length, resume: false, nextRip: last.Offset + last.Length);
        }
        return translated;
    }

    private static bool BranchesToBlockStart(in DecodedInstruction last, bool legacy) => legacy
        ? last.Op is Operation.NearJcc or Operation.NearJmp && last.Size == 4 && LegacyBranchTarget(last) == 0
        : last.Op is Operation.Jcc or Operation.Jmp && last.Immediate == 0 && (last.Flags & OperandFlags.JumpedThrough) == 0;

    private static bool IsBlockEnd(Operation op) =>
        op is Operation.Jmp or Operation.JmpR or Operation.JmpM or Operation.Call or Operation.CallR or Operation.CallM or Operation.Ret or Operation.NearJmp;

    private ReadOnlySpan<byte> Finish()
    {
        for (int i = 0; i < _stubs.Count; i++) // an exit may add a stub of its own (32-bit code's limit check)
        {
            ExitStub stub = _stubs[i];
            _e.Bind(stub.Label);
            _flags = stub.Flags;
            if (stub.LoopBack)
            {
                EmitLoopBack(stub.Index);
            }
            else
            {
                EmitExit(stub.Index, stub.Resume, stub.NextRip, stub.Branch);
            }
        }
        for (int index = 0; index < _code.Length; index++)
        {
            if (_resumeLabels[index] >= 0)
            {
                // The resume entry: the prologue, then on at the instruction's code.
                int body = _resumeLabels[index];
                _resumeLabels[index] = _e.CreateLabel();
                _e.Bind(_resumeLabels[index]);
                EmitPrologue();
                EmitCacheLoads();
                _e.Branch(Code.Jmp_rel32_64, body);
            }
        }
        _e.Bind(_epilogue);
        EmitCacheStores();
        for (int i = SavedRegisters.Length - 1; i >= 0; i--)
        {
            Emit(Instruction.Create(Code.Pop_r64, SavedRegisters[i]));
        }
        Emit(Instruction.Create(Code.Retnq));
        return _e.Finish();
    }

    // ---- emitting ----

    /// <summary>The callee-saved registers every entry saves (System V): RBX, the state pointer, and the register
    /// cache's. The same for every block, as a chained block returns through its own epilogue.</summary>
    private static readonly Register[] SavedRegisters = [Register.RBX, Register.RBP, Register.R12, Register.R13, Register.R14, Register.R15];

    /// <summary>An entry's first instructions (System V: the state in RDI): RBX becomes the state pointer.</summary>
    private void EmitPrologue()
    {
        foreach (Register saved in SavedRegisters)
        {
            Emit(Instruction.Create(Code.Push_r64, saved));
        }
        Emit(Instruction.Create(Code.Mov_r64_rm64, Register.RBX, Register.RDI));
    }

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
        Emit(Instruction.Create(Code.Push_rm64, Slot(Flags)));
        Emit(Instruction.Create(Code.Popfq));
        _flags = FlagPlace.Host;
    }

    /// <summary>Leaves with the return value for <paramref name="index"/>; RIP from <paramref name="nextRip"/>
    /// (an offset from the block start) unless the caller stored it already or the block stops before the
    /// instruction (whose offset the return value then carries). A target in the block's page is chainable.
    /// <paramref name="branch"/>: the exit of a JMP or Jcc (the instruction before <paramref name="index"/>),
    /// which in 32-bit code checks its target against CS's limit.</summary>
    private void EmitExit(int index, bool resume, long? nextRip, bool branch = false)
    {
        SaveFlags();
        if (nextRip is long target && target >= -_pageOffset && target < 4096 - _pageOffset && _chainExits.Count < MaxChainExits)
        {
            EmitChainableExit(index, target, branch);
            return;
        }
        if (nextRip is long offset)
        {
            Load(Register.RAX, BlockRip);
            AddToRip(Register.RAX, offset);
            EmitCodeLimitCheck(Register.RAX, index, branch);
            Store(NextRip, Register.RAX);
        }
        int offsetBits = resume ? _code[index].Offset << OffsetShift : 0;
        Emit(Instruction.Create(Code.Mov_r32_imm32, Register.EAX, (index << IndexShift) | offsetBits | (resume ? StoppedBefore : 0)));
        _e.Branch(Code.Jmp_rel32_64, _epilogue);
    }

    /// <summary>
    /// A direct branch to the block's own page: its instructions counted into the retired slot and the
    /// block start moved to the target, then, while the budget holds a whole block more and nothing
    /// waits for the run loop, a jump the run loop patches to the target block's chain entry once it has
    /// translated it (SoftwareCpu.Native.cs); until then, and whenever those checks fail, the block
    /// leaves at the target with the exit's number, so the run loop can link it.
    /// </summary>
    private void EmitChainableExit(int index, long target, bool branch)
    {
        int number = _chainExits.Count;
        int slow = _e.CreateLabel();
        Load(Register.RCX, BlockRip);
        AddToRip(Register.RCX, target);
        EmitCodeLimitCheck(Register.RCX, index, branch);
        Store(BlockRip, Register.RCX);
        Store(NextRip, Register.RCX);
        EmitCountAndCheck(index, SoftwareCpu.MaxBlockInstructions, slow); // room for any block chained to
        EmitCacheStores(); // the block chained to loads its own
        _e.Branch(Code.Jmp_rel32_64, slow); // the patched jump
        _e.Bind(slow);
        // Its own entry, so the run loop knows which block's exit this was even after chained jumps.
        Emit(Instruction.Create(Code.Lea_r64_m, Register.RAX, new MemoryOperand(Register.RIP, 0L))); // RIP-relative to offset 0, the entry
        Store(ExitBlock, Register.RAX);
        Emit(Instruction.Create(Code.Mov_r32_imm32, Register.EAX, (number + 1) << ChainExitShift));
        _e.Branch(Code.Jmp_rel32_64, _epilogue);
        _chainExits.Add(new ChainExit(slow, target));
    }

    /// <summary>Adds <paramref name="count"/> instructions to the retired slot, then goes to <paramref name="leave"/>
    /// unless the budget holds <paramref name="room"/> more and nothing waits for the run loop. RAX is used.</summary>
    private void EmitCountAndCheck(int count, int room, int leave)
    {
        Load(Register.RAX, Retired);
        Lea(Register.RAX, Register.RAX, count);
        Store(Retired, Register.RAX);
        Lea(Register.RAX, Register.RAX, room);
        Emit(Instruction.Create(Code.Cmp_r64_rm64, Register.RAX, Slot(Budget)));
        _e.Branch(Code.Jg_rel32_64, leave); // signed: the slot starts below 0 at a resume entry
        Emit(Instruction.Create(Code.Cmp_rm64_imm8, Slot(Attention), 0));
        _e.Branch(Code.Jne_rel32_64, leave);
    }

    private const int MaxChainExits = 255;

    /// <summary>A label for an exit placed after the block's code, taken with the flags where they are now.</summary>
    private int ExitLabel(int index, bool resume, long? nextRip, bool branch = false)
    {
        int label = _e.CreateLabel();
        _stubs.Add(new ExitStub(label, index, resume, nextRip, _flags, Branch: branch));
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

/// <summary>A translated block: its host entry (and the same bytes' writable address, for patching
/// chains), where chained blocks enter it, its chainable exits, and its resume entries.</summary>
internal sealed record NativeBlock(nint Entry, nint Writable, int ChainEntryOffset, NativeChainExit[] ChainExits, int[]? ResumeOffsets)
{
    /// <summary>The entry that runs the block on from instruction <paramref name="index"/>, after the interpreter ran the
    /// one before it (0: none, the interpreter runs on).</summary>
    public nint ResumeEntry(int index) => ResumeOffsets is { } offsets && index < offsets.Length && offsets[index] != 0 ? Entry + offsets[index] : 0;
}

/// <summary>A chainable exit: the offset of its jump's rel32 field, the offset that field points at
/// unchained (the way back to the run loop), and its target as an offset from the block's start.</summary>
internal readonly record struct NativeChainExit(int PatchField, int SlowPath, long TargetOffset);
