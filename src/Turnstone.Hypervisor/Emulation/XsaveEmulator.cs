using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;
using Iced.Intel;
using Turnstone.Hypervisor.Interop;

namespace Turnstone.Hypervisor.Emulation;

/// <summary>
/// XSAVE, XSAVEOPT and XRSTOR in the standard (non-compacted) format, moving state between guest
/// memory and the vCPU's XSAVE image (KVM_GET/SET_XSAVE uses the same layout). Needed because on
/// nested hosts the guest sees XSAVE even when CPUID hides it, and the host's emulator rejects the
/// instructions. XSAVEOPT is treated as XSAVE, which the SDM allows (it only may skip unmodified state).
/// </summary>
internal sealed class XsaveEmulator
{
    public const int ImageSize = 4096;
    public const int MxcsrOffset = 24;
    public const uint MxcsrWritableBits = 0xFFFF;
    private const int LegacyRegionSize = 512;
    private const int HeaderOffset = 512, HeaderSize = 64;
    private const int X87Bytes = 160, XmmOffset = 160, XmmBytes = 256;

    private readonly (int Offset, int Size)[] _components = ReadComponentLayout();

    public EmulationResult Emulate(in Instruction instruction, ref KvmRegs regs, ulong address, GuestVirtualMemory memory, IExtendedState state)
    {
        if ((address & 63) != 0)
        {
            return EmulationResult.Exception(ExceptionVector.GeneralProtection, 0);
        }
        ulong xcr0 = state.Xcr0;
        ulong requested = ((regs.Rdx << 32) | (regs.Rax & 0xFFFF_FFFF)) & xcr0;
        Span<byte> image = stackalloc byte[ImageSize];
        state.ReadXsaveImage(image);
        var result = instruction.Mnemonic == Mnemonic.Xrstor
            ? Restore(address, requested, xcr0, image, memory, state)
            : Save(address, requested, image, memory);
        if (result.Outcome == EmulationOutcome.Completed)
        {
            regs.Rip = instruction.NextIP;
        }
        return result;
    }

    private EmulationResult Save(ulong address, ulong requested, ReadOnlySpan<byte> image, GuestVirtualMemory memory)
    {
        int length = AreaSize(requested);
        if (!memory.TryProbeWrite(address, length, out ulong fault, out uint errorCode))
        {
            return EmulationResult.PageFault(fault, errorCode);
        }
        Span<byte> area = stackalloc byte[length];
        memory.TryRead(address, area, out _);
        if ((requested & 1) != 0)
        {
            // MXCSR and its mask sit inside the x87 bytes' range but belong to SSE.
            image[..MxcsrOffset].CopyTo(area);
            image[(MxcsrOffset + 8)..X87Bytes].CopyTo(area[(MxcsrOffset + 8)..]);
        }
        if ((requested & 6) != 0)
        {
            image.Slice(MxcsrOffset, 8).CopyTo(area[MxcsrOffset..]);
        }
        if ((requested & 2) != 0)
        {
            image.Slice(XmmOffset, XmmBytes).CopyTo(area[XmmOffset..]);
        }
        for (int i = 2; i < _components.Length; i++)
        {
            if ((requested & (1ul << i)) != 0 && _components[i].Size > 0)
            {
                image.Slice(_components[i].Offset, _components[i].Size).CopyTo(area[_components[i].Offset..]);
            }
        }
        ulong savedBv = BinaryPrimitives.ReadUInt64LittleEndian(image[HeaderOffset..]);
        ulong areaBv = BinaryPrimitives.ReadUInt64LittleEndian(area[HeaderOffset..]);
        BinaryPrimitives.WriteUInt64LittleEndian(area[HeaderOffset..], (areaBv & ~requested) | (savedBv & requested));
        return memory.TryWrite(address, area, out fault) ? EmulationResult.Completed : EmulationResult.PageFault(fault, write: true);
    }

    private EmulationResult Restore(ulong address, ulong requested, ulong xcr0, Span<byte> image, GuestVirtualMemory memory, IExtendedState state)
    {
        int length = AreaSize(requested);
        Span<byte> area = stackalloc byte[length];
        if (!memory.TryRead(address, area, out ulong fault))
        {
            return EmulationResult.PageFault(fault, write: false);
        }
        var header = area.Slice(HeaderOffset, HeaderSize);
        ulong stateBv = BinaryPrimitives.ReadUInt64LittleEndian(header);
        ulong compactionBv = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
        if (compactionBv != 0 || header[16..].IndexOfAnyExcept((byte)0) >= 0 || (stateBv & ~xcr0) != 0)
        {
            return EmulationResult.Exception(ExceptionVector.GeneralProtection, 0);
        }
        if ((requested & 6) != 0)
        {
            uint mxcsr = BinaryPrimitives.ReadUInt32LittleEndian(area[MxcsrOffset..]);
            if ((mxcsr & ~MxcsrWritableBits) != 0)
            {
                return EmulationResult.Exception(ExceptionVector.GeneralProtection, 0);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(image[MxcsrOffset..], mxcsr);
        }
        if ((requested & 1) != 0)
        {
            if ((stateBv & 1) != 0)
            {
                area[..MxcsrOffset].CopyTo(image);
                area[(MxcsrOffset + 8)..X87Bytes].CopyTo(image[(MxcsrOffset + 8)..]);
            }
            else
            {
                image[..MxcsrOffset].Clear();
                image[(MxcsrOffset + 8)..X87Bytes].Clear();
                BinaryPrimitives.WriteUInt16LittleEndian(image, 0x037F); // FCW after FNINIT
            }
        }
        if ((requested & 2) != 0)
        {
            var source = (stateBv & 2) != 0 ? area.Slice(XmmOffset, XmmBytes) : stackalloc byte[XmmBytes];
            source.CopyTo(image[XmmOffset..]);
        }
        for (int i = 2; i < _components.Length; i++)
        {
            var (offset, size) = _components[i];
            if ((requested & (1ul << i)) == 0 || size == 0)
            {
                continue;
            }
            if ((stateBv & (1ul << i)) != 0)
            {
                area.Slice(offset, size).CopyTo(image[offset..]);
            }
            else
            {
                image.Slice(offset, size).Clear();
            }
        }
        ulong imageBv = BinaryPrimitives.ReadUInt64LittleEndian(image[HeaderOffset..]);
        BinaryPrimitives.WriteUInt64LittleEndian(image[HeaderOffset..], (imageBv & ~requested) | (stateBv & requested));
        state.WriteXsaveImage(image);
        return EmulationResult.Completed;
    }

    /// <summary>
    /// Sets XSTATE_BV's SSE bit. KVM only takes MXCSR from an image whose SSE (or AVX) component is
    /// marked in use; an image with SSE in its init state holds init values, so marking it changes nothing else.
    /// </summary>
    public static void MarkSseInUse(Span<byte> image)
    {
        ulong stateBv = BinaryPrimitives.ReadUInt64LittleEndian(image[HeaderOffset..]);
        BinaryPrimitives.WriteUInt64LittleEndian(image[HeaderOffset..], stateBv | 2);
    }

    /// <summary>Bytes of the save area the requested components touch (legacy region and header always).</summary>
    private int AreaSize(ulong requested)
    {
        int end = LegacyRegionSize + HeaderSize;
        for (int i = 2; i < _components.Length; i++)
        {
            if ((requested & (1ul << i)) != 0)
            {
                end = Math.Max(end, _components[i].Offset + _components[i].Size);
            }
        }
        return end;
    }

    /// <summary>Standard-format offsets of the extended components, from CPUID leaf 0xD. Components
    /// that do not fit the 4 KiB image KVM exchanges are left out (size 0), so they are never copied.</summary>
    private static (int Offset, int Size)[] ReadComponentLayout()
    {
        var layout = new (int, int)[32];
        if (!X86Base.IsSupported)
        {
            return layout;
        }
        for (int i = 2; i < 32; i++)
        {
            var (size, offset, _, _) = X86Base.CpuId(0xD, i);
            if (size > 0 && offset >= LegacyRegionSize + HeaderSize && offset + size <= ImageSize)
            {
                layout[i] = (offset, size);
            }
        }
        return layout;
    }
}
