using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Turnstone.Cpu.Internal;
using Turnstone.Cpu.Internal.HostExecution;
using static Turnstone.Cpu.Internal.HostExecution.FloatingPointStateLayout;

namespace Turnstone.Cpu;

// x87/MMX/SSE state and control: the x87 registers as an FXSAVE64 image (FloatingPointState),
// MXCSR, FXSAVE/FXRSTOR, LDMXCSR/STMXCSR and the x87 control instructions, with the CR0.EM/TS/MP/NE
// and CR4.OSFXSR rules. The computation itself runs on the host (SoftwareCpu.HostFloatingPoint.cs).
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>MXCSR bits this CPU implements (FXSAVE's MXCSR_MASK): flags, DAZ, masks, rounding, FTZ.</summary>
    internal const uint MxcsrMask = 0xFFFF;
    internal const uint InitialMxcsr = 0x1F80;
    private const ushort StatusExceptionSummary = 0x80;
    private const ushort StatusBusy = 0x8000;

    private readonly FloatingPointState _fpu = new();
    private uint _mxcsr = InitialMxcsr;

    /// <summary>MXCSR; setting bits outside <see cref="MxcsrMask"/> throws (the host sets valid state).</summary>
    public uint Mxcsr
    {
        get => _mxcsr;
        set => _mxcsr = (value & ~MxcsrMask) == 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), "reserved MXCSR bits");
    }

    /// <summary>The x87 control word, status word and abridged tag word (for tests and the engine adapter).</summary>
    public ushort X87ControlWord => _fpu.ControlWord;

    public ushort X87StatusWord => _fpu.StatusWord;

    /// <summary>Writes the whole floating-point state as a 512-byte FXSAVE64 image (x87, MXCSR, XMM0-15).</summary>
    public void SaveFxImage(Span<byte> image)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(image.Length, 512);
        image[..512].Clear();
        _fpu.X87.CopyTo(image);
        BitConverterWrite(image[ImageMxcsr..], _mxcsr);
        BitConverterWrite(image[ImageMxcsrMask..], MxcsrMask);
        for (int r = 0; r < 16; r++)
        {
            _xmm[r].CopyTo(image[(ImageXmm + 16 * r)..]);
        }
    }

    /// <summary>Loads state from a 512-byte FXSAVE64 image; false (nothing loaded) when its MXCSR has reserved bits set.</summary>
    public bool RestoreFxImage(ReadOnlySpan<byte> image)
    {
        uint mxcsr = BitConverter.ToUInt32(image[ImageMxcsr..]);
        if ((mxcsr & ~MxcsrMask) != 0)
        {
            return false;
        }
        image[..X87Bytes].CopyTo(_fpu.X87);
        _mxcsr = mxcsr;
        for (int r = 0; r < 16; r++)
        {
            _xmm[r] = Vector128.Create(image.Slice(ImageXmm + 16 * r, 16));
        }
        return true;
    }

    /// <summary>The state after RESET as KVM sets it: FNINIT's x87 state, MXCSR 0x1F80, XMM zero.</summary>
    public void ResetFloatingPoint()
    {
        _fpu.Initialize();
        _mxcsr = InitialMxcsr;
        _xmm.AsSpan().Clear();
    }

    private static void BitConverterWrite(Span<byte> destination, uint value) => Unsafe.WriteUnaligned(ref destination[0], value);

    /// <summary>An x87 instruction: CR0.EM or CR0.TS raise #NM.</summary>
    private bool X87Usable() =>
        (_cr0 & (Cr0Bits.Emulation | Cr0Bits.TaskSwitched)) == 0 || RaiseFault(ExceptionVector.DeviceNotAvailable);

    /// <summary>A waiting x87 instruction with an unmasked exception pending (FSW.ES) takes it first:
    /// #MF with CR0.NE; the legacy FERR# interrupt path is not implemented.</summary>
    private bool NoPendingX87Exception()
    {
        if ((_fpu.StatusWord & StatusExceptionSummary) == 0)
        {
            return true;
        }
        return (_cr0 & Cr0Bits.NumericError) != 0
            ? RaiseFault(ExceptionVector.FloatingPointError)
            : NotImplemented("a pending x87 exception with CR0.NE clear (the external FERR# path)");
    }

    private bool FloatControl(ref DecodedInstruction i)
    {
        var kind = (FloatControlKind)(i.Aux & ~(byte)FloatControlKind.Waiting);
        bool waiting = (i.Aux & (byte)FloatControlKind.Waiting) != 0;
        switch (kind)
        {
            case FloatControlKind.Fxsave:
            case FloatControlKind.Fxsave64:
                return FxsaveInstruction(ref i, kind == FloatControlKind.Fxsave64);
            case FloatControlKind.Fxrstor:
            case FloatControlKind.Fxrstor64:
                return FxrstorInstruction(ref i, kind == FloatControlKind.Fxrstor64);
            case FloatControlKind.Ldmxcsr:
            {
                if (!SseUsable() || !TryRead(EffectiveAddress(ref i), 4, out ulong value))
                {
                    return false;
                }
                if ((value & ~(ulong)MxcsrMask) != 0)
                {
                    return GeneralProtection();
                }
                _mxcsr = (uint)value;
                return true;
            }
            case FloatControlKind.Stmxcsr:
                return SseUsable() && TryWrite(EffectiveAddress(ref i), 4, _mxcsr);
            case FloatControlKind.Maskmovdqu:
                return MaskedStoreInstruction(ref i);
            case FloatControlKind.Fwait:
                if ((_cr0 & (Cr0Bits.TaskSwitched | Cr0Bits.MonitorCoprocessor)) == (Cr0Bits.TaskSwitched | Cr0Bits.MonitorCoprocessor))
                {
                    return RaiseFault(ExceptionVector.DeviceNotAvailable);
                }
                return NoPendingX87Exception();
        }
        if (!X87Usable() || (waiting && !NoPendingX87Exception()))
        {
            return false;
        }
        switch (kind)
        {
            case FloatControlKind.Fninit:
                InitializeX87();
                return true;
            case FloatControlKind.Fnclex:
                _fpu.StatusWord &= unchecked((ushort)~(StatusBusy | 0xFF));
                return true;
            case FloatControlKind.FnstswAx:
                WriteRegister(2, 0, _fpu.StatusWord);
                return true;
            case FloatControlKind.FnstswMemory:
                return TryWrite(EffectiveAddress(ref i), 2, _fpu.StatusWord);
            case FloatControlKind.Fnstcw:
                return TryWrite(EffectiveAddress(ref i), 2, _fpu.ControlWord);
            case FloatControlKind.Fnstenv:
            case FloatControlKind.Fldenv:
            case FloatControlKind.Fnsave:
            case FloatControlKind.Frstor:
                return X87EnvironmentInstruction(ref i, kind);
            case FloatControlKind.Fldcw:
            {
                if (!NoPendingX87Exception() || !TryRead(EffectiveAddress(ref i), 2, out ulong value))
                {
                    return false;
                }
                _fpu.ControlWord = ControlWordAsLoaded((ushort)value);
                UpdateExceptionSummary();
                return true;
            }
            default:
                return NotImplemented("this x87 control instruction");
        }
    }

    /// <summary>Bits 13-15 and 7 are reserved (read 0) and bit 6 reads 1, as FNSTCW shows on hardware.</summary>
    private static ushort ControlWordAsLoaded(ushort value) => (ushort)((value & 0x1F3F) | 0x40);

    /// <summary>FSW.ES and B follow whether any exception flag is unmasked in the control word.</summary>
    private void UpdateExceptionSummary()
    {
        bool pending = (_fpu.StatusWord & ~_fpu.ControlWord & 0x3F) != 0;
        _fpu.StatusWord = pending
            ? (ushort)(_fpu.StatusWord | StatusExceptionSummary | StatusBusy)
            : (ushort)(_fpu.StatusWord & ~(StatusExceptionSummary | StatusBusy));
    }

    /// <summary>FXSAVE/FXRSTOR: #NM with CR0.EM or CR0.TS, #GP unless 16-byte aligned; both pages
    /// are translated before a byte moves.</summary>
    private bool FxImageAccess(ref DecodedInstruction i, int set, out ulong address)
    {
        address = EffectiveAddress(ref i);
        if (!X87Usable())
        {
            return false;
        }
        if ((address & 15) != 0)
        {
            return GeneralProtection();
        }
        return ProbeRange(set, address, 512);
    }

    private bool FxsaveInstruction(ref DecodedInstruction i, bool wide)
    {
        if (!FxImageAccess(ref i, _writeTlb, out ulong address))
        {
            return false;
        }
        // Bytes 416-511 are reserved or available to software: FXSAVE leaves them alone.
        Span<byte> image = stackalloc byte[512];
        SaveFxImage(image);
        if (!wide)
        {
            // The legacy form stores 32-bit pointers with (zero) CS and DS selectors.
            Unsafe.WriteUnaligned(ref image[InstructionPointer + 4], 0u);
            Unsafe.WriteUnaligned(ref image[DataPointer + 4], 0u);
        }
        return WriteBytes(address, image[..416]);
    }

    private bool FxrstorInstruction(ref DecodedInstruction i, bool wide)
    {
        if (!FxImageAccess(ref i, _readTlb, out ulong address))
        {
            return false;
        }
        Span<byte> image = stackalloc byte[512];
        if (!ReadBytes(address, image[..416]))
        {
            return false;
        }
        if (!wide)
        {
            Unsafe.WriteUnaligned(ref image[InstructionPointer + 4], 0u);
            Unsafe.WriteUnaligned(ref image[DataPointer + 4], 0u);
        }
        return RestoreFxImage(image) || GeneralProtection();
    }
}
