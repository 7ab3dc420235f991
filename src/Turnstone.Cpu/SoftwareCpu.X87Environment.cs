using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using Turnstone.Cpu.Internal;
using static Turnstone.Cpu.Internal.HostExecution.FloatingPointStateLayout;

namespace Turnstone.Cpu;

// FNSTENV/FLDENV and FNSAVE/FRSTOR in their 32-bit formats (SDM Vol. 1 figures 8-9 and 8-10), which
// glibc's fenv functions use, and MASKMOVDQU. The environment's full tag word is computed from the
// FXSAVE image's abridged tags and the register contents, as hardware does.
public sealed unsafe partial class SoftwareCpu
{
    private const int EnvironmentBytes = 28;
    private const int SaveBytes = 108;

    private bool X87EnvironmentInstruction(ref DecodedInstruction i, FloatControlKind kind)
    {
        ulong address = EffectiveAddress(ref i);
        switch (kind)
        {
            case FloatControlKind.Fnstenv:
            case FloatControlKind.Fnsave:
            {
                int size = kind == FloatControlKind.Fnsave ? SaveBytes : EnvironmentBytes;
                if (!ProbeRange(_writeTlb, address, size))
                {
                    return false;
                }
                Span<byte> image = stackalloc byte[SaveBytes];
                StoreEnvironment(image);
                for (int st = 0; st < 8; st++)
                {
                    _fpu.X87.Slice(Registers + 16 * st, 10).CopyTo(image[(EnvironmentBytes + 10 * st)..]);
                }
                if (!WriteBytes(address, image[..size]))
                {
                    return false;
                }
                if (kind == FloatControlKind.Fnsave)
                {
                    InitializeX87();
                }
                else
                {
                    _fpu.ControlWord |= 0x3F; // FNSTENV masks every exception afterwards
                }
                return true;
            }
            default:
            {
                int size = kind == FloatControlKind.Frstor ? SaveBytes : EnvironmentBytes;
                Span<byte> image = stackalloc byte[SaveBytes];
                if (!ProbeRange(_readTlb, address, size) || !ReadBytes(address, image[..size]))
                {
                    return false;
                }
                LoadEnvironment(image);
                if (kind == FloatControlKind.Frstor)
                {
                    for (int st = 0; st < 8; st++)
                    {
                        image.Slice(EnvironmentBytes + 10 * st, 10).CopyTo(_fpu.X87[(Registers + 16 * st)..]);
                    }
                }
                return true;
            }
        }
    }

    private void StoreEnvironment(Span<byte> image)
    {
        // Reserved halves read as ones, as hardware stores them.
        BinaryPrimitives.WriteUInt32LittleEndian(image, 0xFFFF_0000u | _fpu.ControlWord);
        BinaryPrimitives.WriteUInt32LittleEndian(image[4..], 0xFFFF_0000u | _fpu.StatusWord);
        BinaryPrimitives.WriteUInt32LittleEndian(image[8..], 0xFFFF_0000u | FullTagWord());
        BinaryPrimitives.WriteUInt32LittleEndian(image[12..], (uint)_fpu.InstructionPointer);
        BinaryPrimitives.WriteUInt32LittleEndian(image[16..], (uint)(_fpu.Opcode & 0x7FF) << 16);
        BinaryPrimitives.WriteUInt32LittleEndian(image[20..], (uint)_fpu.DataPointer);
        BinaryPrimitives.WriteUInt32LittleEndian(image[24..], 0xFFFF_0000u);
    }

    private void LoadEnvironment(ReadOnlySpan<byte> image)
    {
        _fpu.ControlWord = ControlWordAsLoaded(BinaryPrimitives.ReadUInt16LittleEndian(image));
        ushort status = BinaryPrimitives.ReadUInt16LittleEndian(image[4..]);
        RotateForTop((status >> 11) & 7);
        _fpu.StatusWord = status;
        ushort tags = BinaryPrimitives.ReadUInt16LittleEndian(image[8..]);
        byte abridged = 0;
        for (int physical = 0; physical < 8; physical++)
        {
            if (((tags >> (2 * physical)) & 3) != 3)
            {
                abridged |= (byte)(1 << physical);
            }
        }
        _fpu.AbridgedTagWord = abridged;
        _fpu.InstructionPointer = BinaryPrimitives.ReadUInt32LittleEndian(image[12..]);
        _fpu.Opcode = (ushort)((BinaryPrimitives.ReadUInt32LittleEndian(image[16..]) >> 16) & 0x7FF);
        _fpu.DataPointer = BinaryPrimitives.ReadUInt32LittleEndian(image[20..]);
    }

    /// <summary>Two bits per physical register: 00 valid, 01 zero, 10 special (NaN, infinity,
    /// denormal, unnormal), 11 empty.</summary>
    private ushort FullTagWord()
    {
        int top = (_fpu.StatusWord >> 11) & 7;
        ushort tags = 0;
        for (int physical = 0; physical < 8; physical++)
        {
            int tag = 3;
            if ((_fpu.AbridgedTagWord & (1 << physical)) != 0)
            {
                int slot = Registers + 16 * ((physical - top) & 7);
                ulong mantissa = BinaryPrimitives.ReadUInt64LittleEndian(_fpu.X87[slot..]);
                int exponent = BinaryPrimitives.ReadUInt16LittleEndian(_fpu.X87[(slot + 8)..]) & 0x7FFF;
                tag = exponent == 0 && mantissa == 0 ? 1
                    : exponent == 0x7FFF || exponent == 0 || (mantissa >> 63) == 0 ? 2
                    : 0;
            }
            tags |= (ushort)(tag << (2 * physical));
        }
        return tags;
    }

    /// <summary>FNINIT: the physical registers keep their contents; control, status (TOP too),
    /// tags and pointers reset. The image holds ST0-7 relative to TOP, so TOP becoming 0 rotates them.</summary>
    private void InitializeX87()
    {
        RotateForTop(0);
        _fpu.X87[..ImageMxcsr].Clear();
        _fpu.ControlWord = Internal.HostExecution.FloatingPointState.InitialControlWord;
    }

    /// <summary>Reorders the image's TOP-relative registers for a new TOP, the physical registers
    /// keeping their contents (the caller then stores the status word with that TOP).</summary>
    private void RotateForTop(int newTop)
    {
        int oldTop = (_fpu.StatusWord >> 11) & 7;
        if (oldTop == newTop)
        {
            return;
        }
        Span<byte> registers = stackalloc byte[128];
        _fpu.X87[Registers..].CopyTo(registers);
        for (int st = 0; st < 8; st++)
        {
            registers.Slice(16 * ((newTop + st - oldTop) & 7), 16).CopyTo(_fpu.X87[(Registers + 16 * st)..]);
        }
    }

    /// <summary>MASKMOVDQU: stores the bytes of Reg whose mask byte in Reg2 has its top bit set.
    /// Every page of the 16 bytes is translated first when any byte is stored.</summary>
    private bool MaskedStoreInstruction(ref DecodedInstruction i)
    {
        if (!SseUsable())
        {
            return false;
        }
        ulong address = EffectiveAddress(ref i);
        Vector128<byte> data = _xmm[i.Reg], mask = _xmm[i.Reg2];
        if (Vector128.ExtractMostSignificantBits(mask) == 0)
        {
            return true;
        }
        if (!ProbeRange(_writeTlb, address, 16))
        {
            return false;
        }
        for (int b = 0; b < 16; b++)
        {
            if ((mask.GetElement(b) & 0x80) != 0 && !TryWrite(address + (ulong)b, 1, data.GetElement(b)))
            {
                return false;
            }
        }
        return true;
    }
}
