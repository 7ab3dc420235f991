using System.Buffers.Binary;
using Iced.Intel;
using Turnstone.Hypervisor.Interop;

namespace Turnstone.Hypervisor.Emulation;

/// <summary>
/// Legacy-encoded SSE data moves (and the XOR idiom that clears a register) that kernels use inside
/// kernel_fpu_begin sections, which the nested host's emulator rejects at CPL 0: movd, movq,
/// movdqa/movdqu, movaps/movups/movapd/movupd, pxor/xorps/xorpd. XMM registers are read and
/// written through the vCPU's XSAVE image (XMMn at byte 160 + 16n of the legacy region).
/// VEX/EVEX forms are not emulated: they also touch the upper YMM/ZMM state.
/// </summary>
internal static class SseMoveEmulator
{
    private const int XmmOffset = 160;
    private const ulong Cr0TaskSwitched = 1 << 3, Cr0Emulation = 1 << 2, Cr4Osfxsr = 1 << 9;
    private const byte DeviceNotAvailable = 7;

    public static bool Handles(Mnemonic mnemonic) => mnemonic is Mnemonic.Movd or Mnemonic.Movq or Mnemonic.Movdqa or Mnemonic.Movdqu
        or Mnemonic.Movaps or Mnemonic.Movups or Mnemonic.Movapd or Mnemonic.Movupd or Mnemonic.Pxor or Mnemonic.Xorps or Mnemonic.Xorpd;

    public static EmulationResult Emulate(in Instruction instruction, ref KvmRegs regs, in KvmSregs sregs, GuestVirtualMemory memory, IExtendedState state)
    {
        if (instruction.Encoding != EncodingKind.Legacy)
        {
            return EmulationResult.Unsupported($"no emulation for the {instruction.Encoding} form of '{instruction.Mnemonic.ToString().ToLowerInvariant()}'");
        }
        if ((sregs.Cr0 & Cr0Emulation) != 0 || (sregs.Cr4 & Cr4Osfxsr) == 0)
        {
            return EmulationResult.Exception(ExceptionVector.InvalidOpcode);
        }
        if ((sregs.Cr0 & Cr0TaskSwitched) != 0)
        {
            return EmulationResult.Exception(DeviceNotAvailable);
        }
        int width = instruction.Mnemonic switch { Mnemonic.Movd => 4, Mnemonic.Movq => 8, _ => 16 };
        bool aligned = instruction.Mnemonic is Mnemonic.Movdqa or Mnemonic.Movaps or Mnemonic.Movapd
                       or Mnemonic.Pxor or Mnemonic.Xorps or Mnemonic.Xorpd;
        ulong address = 0;
        if (instruction.Op0Kind == OpKind.Memory || instruction.Op1Kind == OpKind.Memory)
        {
            if (InstructionEmulator.WithAddress(instruction, ref regs, sregs, out address) is { } failure)
            {
                return failure;
            }
            if (aligned && (address & 15) != 0)
            {
                return EmulationResult.Exception(ExceptionVector.GeneralProtection, 0);
            }
        }

        Span<byte> image = stackalloc byte[XsaveEmulator.ImageSize];
        state.ReadXsaveImage(image);
        Span<byte> value = stackalloc byte[16];
        value.Clear();
        if (ReadOperand(instruction, 1, width, ref regs, image, memory, address, value) is { } readFault)
        {
            return readFault;
        }
        bool isXor = instruction.Mnemonic is Mnemonic.Pxor or Mnemonic.Xorps or Mnemonic.Xorpd;
        if (isXor)
        {
            var destination = Xmm(image, instruction.Op0Register);
            for (int i = 0; i < 16; i++)
            {
                value[i] ^= destination[i];
            }
        }
        switch (instruction.Op0Kind)
        {
            case OpKind.Register when instruction.Op0Register.IsXMM():
                // movd/movq into an XMM register zero the rest of it; 128-bit moves replace it whole.
                value.CopyTo(Xmm(image, instruction.Op0Register));
                XsaveEmulator.MarkSseInUse(image);
                state.WriteXsaveImage(image);
                break;
            case OpKind.Register when instruction.Op0Register.IsGPR():
                RegisterFile.Write(ref regs, instruction.Op0Register, BinaryPrimitives.ReadUInt64LittleEndian(value));
                break;
            case OpKind.Memory:
                if (!memory.TryWrite(address, value[..width], out ulong fault))
                {
                    return EmulationResult.PageFault(fault, write: true);
                }
                break;
            default:
                return EmulationResult.Unsupported($"unexpected destination of '{instruction}'");
        }
        regs.Rip = instruction.NextIP;
        return EmulationResult.Completed;
    }

    private static EmulationResult? ReadOperand(in Instruction instruction, int operand, int width, ref KvmRegs regs,
        ReadOnlySpan<byte> image, GuestVirtualMemory memory, ulong address, Span<byte> value)
    {
        var kind = instruction.GetOpKind(operand);
        var register = instruction.GetOpRegister(operand);
        if (kind == OpKind.Register && register.IsXMM())
        {
            Xmm(image, register)[..width].CopyTo(value);
        }
        else if (kind == OpKind.Register && register.IsGPR())
        {
            BinaryPrimitives.WriteUInt64LittleEndian(value, RegisterFile.Read(ref regs, register));
            value[width..].Clear();
        }
        else if (kind == OpKind.Memory)
        {
            if (!memory.TryRead(address, value[..width], out ulong fault))
            {
                return EmulationResult.PageFault(fault, write: false);
            }
        }
        else
        {
            return EmulationResult.Unsupported($"unexpected source of '{instruction}'");
        }
        return null;
    }

    private static Span<byte> Xmm(Span<byte> image, Register register) =>
        image.Slice(XmmOffset + (register - Register.XMM0) * 16, 16);

    private static ReadOnlySpan<byte> Xmm(ReadOnlySpan<byte> image, Register register) =>
        image.Slice(XmmOffset + (register - Register.XMM0) * 16, 16);
}
