using System.Numerics;
using System.Runtime.CompilerServices;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// Lazy arithmetic flags: a flag-setting instruction records its operands, result and size; the
// flags are computed only when something reads them. Conditions after a plain SUB/CMP compare the
// operands directly, which is what most Jcc and SETcc follow.
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>RFLAGS; its arithmetic bits are current only while <see cref="_flagOperation"/> is Materialized.</summary>
    private ulong _rflags;
    private FlagOperation _flagOperation;
    private int _flagSize;
    private ulong _flagDestination;
    private ulong _flagSource;
    private ulong _flagResult;
    /// <summary>CF as it was before an INC or DEC (which leave it alone).</summary>
    private bool _flagCarryKept;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetLazyFlags(FlagOperation operation, int size, ulong destination, ulong source, ulong result)
    {
        _flagOperation = operation;
        _flagSize = size;
        _flagDestination = destination;
        _flagSource = source;
        _flagResult = result;
    }

    /// <summary>Replaces the six arithmetic flags with <paramref name="flags"/> (computed eagerly).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetArithmeticFlags(ulong flags)
    {
        _rflags = (_rflags & ~RflagsBits.Arithmetic) | (flags & RflagsBits.Arithmetic);
        _flagOperation = FlagOperation.Materialized;
    }

    /// <summary>CLC, STC and CMC: the carry cleared, set or flipped, the other flags kept.</summary>
    private bool ChangeCarryFlag(ref DecodedInstruction i)
    {
        ulong flags = MaterializeFlags();
        SetArithmeticFlags(i.Op switch
        {
            Operation.Clc => flags & ~RflagsBits.Cf,
            Operation.Stc => flags | RflagsBits.Cf,
            _ => flags ^ RflagsBits.Cf,
        });
        return true;
    }

    private static int SignShift(int size) => size * 8 - 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong SizeMask(int size) => size >= 8 ? ulong.MaxValue : (1UL << (size * 8)) - 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long SignExtend(ulong value, int size)
    {
        int shift = 64 - size * 8;
        return (long)(value << shift) >> shift;
    }

    private static ulong ParityFlag(ulong result) => (BitOperations.PopCount(result & 0xFF) & 1) == 0 ? RflagsBits.Pf : 0;

    private bool CarryFlag()
    {
        ulong d = _flagDestination, s = _flagSource, r = _flagResult;
        int top = SignShift(_flagSize);
        return _flagOperation switch
        {
            FlagOperation.Materialized => (_rflags & RflagsBits.Cf) != 0,
            FlagOperation.Add => (((d & s) | ((d | s) & ~r)) >> top & 1) != 0,
            FlagOperation.Sub => (d & SizeMask(_flagSize)) < (s & SizeMask(_flagSize)),
            FlagOperation.SubWithBorrow => (((~d & s) | (~(d ^ s) & r)) >> top & 1) != 0,
            FlagOperation.Logic => false,
            FlagOperation.Shifted => (d & 1) != 0,
            _ => _flagCarryKept,
        };
    }

    private bool ZeroFlag() => _flagOperation == FlagOperation.Materialized
        ? (_rflags & RflagsBits.Zf) != 0
        : (_flagResult & SizeMask(_flagSize)) == 0;

    private bool SignFlag() => _flagOperation == FlagOperation.Materialized
        ? (_rflags & RflagsBits.Sf) != 0
        : (_flagResult >> SignShift(_flagSize) & 1) != 0;

    private bool OverflowFlag()
    {
        ulong d = _flagDestination, s = _flagSource, r = _flagResult;
        int top = SignShift(_flagSize);
        return _flagOperation switch
        {
            FlagOperation.Materialized => (_rflags & RflagsBits.Of) != 0,
            FlagOperation.Add or FlagOperation.Increment => (((d ^ r) & (s ^ r)) >> top & 1) != 0,
            FlagOperation.Sub or FlagOperation.SubWithBorrow or FlagOperation.Decrement => (((d ^ s) & (d ^ r)) >> top & 1) != 0,
            FlagOperation.Shifted => (d >> 11 & 1) != 0,
            _ => false,
        };
    }

    private bool ParityEven() => _flagOperation == FlagOperation.Materialized
        ? (_rflags & RflagsBits.Pf) != 0
        : ParityFlag(_flagResult) != 0;

    private bool AdjustFlag() => _flagOperation switch
    {
        FlagOperation.Materialized => (_rflags & RflagsBits.Af) != 0,
        FlagOperation.Logic or FlagOperation.Shifted => false,
        _ => ((_flagDestination ^ _flagSource ^ _flagResult) & 0x10) != 0,
    };

    /// <summary>Computes the arithmetic flags into <see cref="_rflags"/> and returns RFLAGS.</summary>
    /// <summary>
    /// After POPF, which runs inside a block: a change beyond the arithmetic flags and DF (IF set,
    /// so a pending interrupt may now be taken; IOPL, AC, NT, TF, ID) ends the block after it, so
    /// the run loop sees the new flags before the next instruction, as when POPF ended every block.
    /// Code that saves and restores only the arithmetic flags (GRUB's LZMA decoder, Linux's
    /// local_irq_restore with interrupts still off) keeps running in its block.
    /// </summary>
    private void EndBlockIfFlagsNeedRunLoop(ulong before, ulong after)
    {
        if (((before ^ after) & ~(RflagsBits.Arithmetic | RflagsBits.Df)) != 0)
        {
            _blockBreak = true;
        }
    }

    private ulong MaterializeFlags()
    {
        if (_flagOperation != FlagOperation.Materialized)
        {
            ulong flags = (CarryFlag() ? RflagsBits.Cf : 0) | (ParityEven() ? RflagsBits.Pf : 0) |
                (AdjustFlag() ? RflagsBits.Af : 0) | (ZeroFlag() ? RflagsBits.Zf : 0) |
                (SignFlag() ? RflagsBits.Sf : 0) | (OverflowFlag() ? RflagsBits.Of : 0);
            SetArithmeticFlags(flags);
        }
        return _rflags;
    }

    private void SetFlagsRegister(ulong value)
    {
        _rflags = (value & RflagsBits.Defined) | RflagsBits.Fixed;
        _flagOperation = FlagOperation.Materialized;
    }

    /// <summary>Evaluates condition code 0-15 (O, NO, B, AE, E, NE, BE, A, S, NS, P, NP, L, GE, LE, G).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Condition(int code)
    {
        if ((code & ~1) == 4 && _flagOperation != FlagOperation.Materialized)
        {
            // E/NE: every lazy operation keeps the result, so ZF is one test (loops end in dec/jnz).
            return ((_flagResult & SizeMask(_flagSize)) == 0) ^ (code == 5);
        }
        if (_flagOperation == FlagOperation.Sub)
        {
            ulong mask = SizeMask(_flagSize);
            ulong d = _flagDestination & mask, s = _flagSource & mask;
            switch (code)
            {
                case 2: return d < s;
                case 3: return d >= s;
                case 4: return d == s;
                case 5: return d != s;
                case 6: return d <= s;
                case 7: return d > s;
                case 12: return SignExtend(d, _flagSize) < SignExtend(s, _flagSize);
                case 13: return SignExtend(d, _flagSize) >= SignExtend(s, _flagSize);
                case 14: return SignExtend(d, _flagSize) <= SignExtend(s, _flagSize);
                case 15: return SignExtend(d, _flagSize) > SignExtend(s, _flagSize);
            }
        }
        return ConditionSlow(code);
    }

    private bool ConditionSlow(int code)
    {
        bool result = (code >> 1) switch
        {
            0 => OverflowFlag(),
            1 => CarryFlag(),
            2 => ZeroFlag(),
            3 => CarryFlag() || ZeroFlag(),
            4 => SignFlag(),
            5 => ParityEven(),
            6 => SignFlag() != OverflowFlag(),
            _ => ZeroFlag() || SignFlag() != OverflowFlag(),
        };
        return result ^ ((code & 1) != 0);
    }
}
