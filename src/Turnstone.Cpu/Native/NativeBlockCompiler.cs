using System.Runtime.Intrinsics.X86;
using Iced.Intel;
using Turnstone.Cpu.Internal;
using RflagsBits = Iced.Intel.RflagsBits;
using static Iced.Intel.AssemblerRegisters;
using static Turnstone.Cpu.Native.NativeState;

namespace Turnstone.Cpu.Native;

/// <summary>
/// The third tier: translates a decoded 64-bit block into host x86-64 code that runs the guest's
/// own instructions on the host CPU. Each integer instruction is re-encoded with its register
/// operands moved into host scratch registers (loaded from and stored back to the register file
/// RBX points at, <see cref="NativeState"/>) and its memory operand replaced by the host address
/// an inline look-up of the software TLB found; so results and the arithmetic flags are the host
/// CPU's own, with no flag computation at all. Branches at the end store the next RIP; anything the
/// translation does not take (a TLB miss, MMIO, an instruction outside the list below) stops the
/// block before that instruction, and the interpreter carries on from there with the state exact.
/// </summary>
/// <remarks>
/// The guest's flags live in one of three places while the block runs (<see cref="FlagPlace"/>): still
/// in the CPU's lazy-flag fields (the block has not touched them), in the host's RFLAGS (after an
/// instruction that set them), or in the flags slot (saved there before the TLB look-up's own
/// compares clobber RFLAGS). Every exit knows statically where they are and says so in its return value.
/// </remarks>
internal sealed partial class NativeBlockCompiler
{
    private enum FlagPlace { Fields, Host, Slot }

    private const RflagsBits ArithmeticFlags = RflagsBits.OF | RflagsBits.SF | RflagsBits.ZF | RflagsBits.AF | RflagsBits.CF | RflagsBits.PF;

    private readonly DecodedInstruction[] _code;
    private readonly byte[] _bytes;
    private readonly Assembler _a = new(64);
    private readonly InstructionInfoFactory _info = new();
    private Label _epilogue;
    private readonly List<Action> _stubs = [];
    private FlagPlace _flags = FlagPlace.Fields;
    private bool _needsFlagsIn;

    private NativeBlockCompiler(DecodedInstruction[] code, byte[] bytes)
    {
        _code = code;
        _bytes = bytes;
        _epilogue = _a.CreateLabel();
    }

    /// <summary>The translation of a block's longest translatable prefix when it covers at least half
    /// the block, or null (the block stays with the other tiers).</summary>
    public static NativeBlock? Compile(DecodedInstruction[] code, byte[] bytes)
    {
        if (!NativeCodeArena.IsSupported || code.Length == 0)
        {
            return null;
        }
        var compiler = new NativeBlockCompiler(code, bytes);
        int translated = compiler.EmitBlock();
        if (translated == 0 || translated * 2 < code.Length)
        {
            return null;
        }
        byte[]? machineCode = compiler.Assemble();
        nint entry = machineCode is null ? 0 : NativeCodeArena.Place(machineCode);
        return entry == 0 ? null : new NativeBlock(entry, compiler._needsFlagsIn, translated);
    }

    /// <summary>Emits the instructions up to the first one left to the interpreter; returns how many.</summary>
    private int EmitBlock()
    {
        _a.push(rbx);
        _a.mov(rbx, rdi);
        var reader = new ByteArrayCodeReader(_bytes);
        var decoder = Decoder.Create(64, reader, 0, DecoderOptions.None);
        for (int index = 0; index < _code.Length; index++)
        {
            ref DecodedInstruction decoded = ref _code[index];
            if (decoded.Offset >= _bytes.Length)
            {
                return Stop(index);
            }
            // Decoded again from the block's bytes with IP the offset from the block start, as the
            // interpreter's form was: branch targets and RIP-relative addresses come out block-relative.
            reader.Position = decoded.Offset;
            decoder.IP = decoded.Offset;
            decoder.Decode(out Instruction instruction);
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

    private static bool IsBlockEnd(Operation op) =>
        op is Operation.Jmp or Operation.JmpR or Operation.JmpM or Operation.Call or Operation.CallR or Operation.CallM or Operation.Ret;

    private byte[]? Assemble()
    {
        foreach (Action stub in _stubs)
        {
            stub();
        }
        _a.Label(ref _epilogue);
        _a.pop(rbx);
        _a.ret();
        using var stream = new MemoryStream();
        try
        {
            _a.Assemble(new StreamCodeWriter(stream), 0);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
        return stream.ToArray();
    }

    // ---- flags ----

    /// <summary>Before code that clobbers RFLAGS: the guest's flags, if the host holds them, go to the slot.</summary>
    private void SaveFlags()
    {
        if (_flags == FlagPlace.Host)
        {
            _a.pushfq();
            _a.pop(__qword_ptr[rbx + Flags * 8]);
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
        _a.push(__qword_ptr[rbx + Flags * 8]);
        _a.popfq();
        _flags = FlagPlace.Host;
    }

    /// <summary>Leaves with the return value for <paramref name="index"/>; RIP from <paramref name="nextRip"/>
    /// (an offset from the block start) unless the caller stored it already or the block stops before the instruction.</summary>
    private void EmitExit(int index, bool resume, long? nextRip)
    {
        SaveFlags();
        if (nextRip is long offset)
        {
            _a.mov(rax, __qword_ptr[rbx + BlockRip * 8]);
            _a.lea(rax, __[rax + offset]);
            _a.mov(__qword_ptr[rbx + NextRip * 8], rax);
        }
        int flagsOut = _flags == FlagPlace.Slot ? FlagsOut : 0;
        _a.mov(eax, (index << IndexShift) | (resume ? StoppedBefore : 0) | flagsOut);
        _a.jmp(_epilogue);
    }

    /// <summary>A jump to an exit placed after the block's code, taken with the flags where they are now.</summary>
    private Label ExitStub(int index, bool resume, long? nextRip)
    {
        Label label = _a.CreateLabel();
        FlagPlace place = _flags;
        _stubs.Add(() =>
        {
            _a.Label(ref label);
            _flags = place;
            EmitExit(index, resume, nextRip);
        });
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
