using System.Buffers.Binary;
using System.Numerics;
using Iced.Intel;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Interop;

namespace Turnstone.Hypervisor.Emulation;

/// <summary>
/// Emulates the instructions a nested host's in-kernel emulator rejects (KVM_EXIT_INTERNAL_ERROR,
/// emulation failure). On ordinary hosts none of this runs. Each handler applies exactly the
/// architectural effect on the registers and memory it is given; anything else is reported as
/// unsupported so the VM stops with a report instead of running on with wrong state.
/// </summary>
public sealed class InstructionEmulator
{
    private const ulong FlagCarry = 1, FlagParity = 1 << 2, FlagAdjust = 1 << 4, FlagZero = 1 << 6,
        FlagSign = 1 << 7, FlagOverflow = 1 << 11, FlagAlignmentCheck = 1 << 18;

    private readonly XsaveEmulator _xsave = new();

    /// <summary>Instructions handled, by mnemonic, for the exit statistics.</summary>
    public Dictionary<Mnemonic, long> Counts { get; } = [];

    public EmulationResult Emulate(in Instruction instruction, ref KvmRegs regs, in KvmSregs sregs, IGuestMemory memory, IExtendedState extendedState)
    {
        var virtualMemory = new GuestVirtualMemory(memory, new PagingMode(sregs.Cr0, sregs.Cr3, sregs.Cr4, sregs.Efer));
        var result = instruction.Mnemonic switch
        {
            Mnemonic.Int3 => Breakpoint(instruction, ref regs),
            Mnemonic.Clac => SetAlignmentCheck(instruction, ref regs, false),
            Mnemonic.Stac => SetAlignmentCheck(instruction, ref regs, true),
            Mnemonic.Wait => Advance(instruction, ref regs),
            Mnemonic.Popcnt => PopulationCount(instruction, ref regs, sregs, virtualMemory),
            Mnemonic.Cmpxchg16b => CompareExchange16(instruction, ref regs, sregs, virtualMemory),
            Mnemonic.Ldmxcsr => LoadMxcsr(instruction, ref regs, sregs, virtualMemory, extendedState),
            Mnemonic.Stmxcsr => StoreMxcsr(instruction, ref regs, sregs, virtualMemory, extendedState),
            Mnemonic.Xsave or Mnemonic.Xsaveopt or Mnemonic.Xrstor =>
                WithAddress(instruction, ref regs, sregs, out ulong address) is { } failure ? failure
                    : _xsave.Emulate(instruction, ref regs, address, virtualMemory, extendedState),
            var sse when SseMoveEmulator.Handles(sse) => SseMoveEmulator.Emulate(instruction, ref regs, sregs, virtualMemory, extendedState),
            _ => EmulationResult.Unsupported($"no emulation for '{instruction.Mnemonic.ToString().ToLowerInvariant()}'"),
        };
        if (result.Outcome != EmulationOutcome.Unsupported)
        {
            Counts[instruction.Mnemonic] = Counts.GetValueOrDefault(instruction.Mnemonic) + 1;
        }
        return result;
    }

    private static EmulationResult Advance(in Instruction instruction, ref KvmRegs regs)
    {
        regs.Rip = instruction.NextIP;
        return EmulationResult.Completed;
    }

    // int3 is a trap: the #BP frame holds the address after the instruction.
    private static EmulationResult Breakpoint(in Instruction instruction, ref KvmRegs regs)
    {
        regs.Rip = instruction.NextIP;
        return EmulationResult.Exception(ExceptionVector.Breakpoint);
    }

    private static EmulationResult SetAlignmentCheck(in Instruction instruction, ref KvmRegs regs, bool set)
    {
        regs.Rflags = set ? regs.Rflags | FlagAlignmentCheck : regs.Rflags & ~FlagAlignmentCheck;
        return Advance(instruction, ref regs);
    }

    private static EmulationResult PopulationCount(in Instruction instruction, ref KvmRegs regs, in KvmSregs sregs, GuestVirtualMemory memory)
    {
        int size = instruction.Op0Register.GetSize();
        ulong source;
        if (instruction.Op1Kind == OpKind.Register)
        {
            source = RegisterFile.Read(ref regs, instruction.Op1Register);
        }
        else
        {
            if (WithAddress(instruction, ref regs, sregs, out ulong address) is { } failure)
            {
                return failure;
            }
            Span<byte> bytes = stackalloc byte[8];
            bytes.Clear();
            if (!memory.TryRead(address, bytes[..size], out ulong fault))
            {
                return EmulationResult.PageFault(fault, write: false);
            }
            source = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        }
        RegisterFile.Write(ref regs, instruction.Op0Register, (ulong)BitOperations.PopCount(source));
        regs.Rflags &= ~(FlagCarry | FlagParity | FlagAdjust | FlagZero | FlagSign | FlagOverflow);
        if (source == 0)
        {
            regs.Rflags |= FlagZero;
        }
        return Advance(instruction, ref regs);
    }

    // Not atomic against other vCPUs: the monitor hides CX16 in CPUID so a guest only gets here by
    // ignoring CPUID; with one vCPU the result is exact.
    private static EmulationResult CompareExchange16(in Instruction instruction, ref KvmRegs regs, in KvmSregs sregs, GuestVirtualMemory memory)
    {
        if (WithAddress(instruction, ref regs, sregs, out ulong address) is { } failure)
        {
            return failure;
        }
        if ((address & 15) != 0)
        {
            return EmulationResult.Exception(ExceptionVector.GeneralProtection, 0);
        }
        // cmpxchg16b always writes (the old value back when it fails), so it faults as a write.
        if (!memory.TryProbeWrite(address, 16, out ulong writeFault, out uint errorCode))
        {
            return EmulationResult.PageFault(writeFault, errorCode);
        }
        Span<byte> current = stackalloc byte[16];
        if (!memory.TryRead(address, current, out ulong fault))
        {
            return EmulationResult.PageFault(fault, write: false);
        }
        ulong low = BinaryPrimitives.ReadUInt64LittleEndian(current), high = BinaryPrimitives.ReadUInt64LittleEndian(current[8..]);
        if (low == regs.Rax && high == regs.Rdx)
        {
            Span<byte> replacement = stackalloc byte[16];
            BinaryPrimitives.WriteUInt64LittleEndian(replacement, regs.Rbx);
            BinaryPrimitives.WriteUInt64LittleEndian(replacement[8..], regs.Rcx);
            if (!memory.TryWrite(address, replacement, out fault))
            {
                return EmulationResult.PageFault(fault, write: true);
            }
            regs.Rflags |= FlagZero;
        }
        else
        {
            regs.Rax = low;
            regs.Rdx = high;
            regs.Rflags &= ~FlagZero;
        }
        return Advance(instruction, ref regs);
    }

    private static EmulationResult LoadMxcsr(in Instruction instruction, ref KvmRegs regs, in KvmSregs sregs, GuestVirtualMemory memory, IExtendedState state)
    {
        if (WithAddress(instruction, ref regs, sregs, out ulong address) is { } failure)
        {
            return failure;
        }
        Span<byte> value = stackalloc byte[4];
        if (!memory.TryRead(address, value, out ulong fault))
        {
            return EmulationResult.PageFault(fault, write: false);
        }
        uint mxcsr = BinaryPrimitives.ReadUInt32LittleEndian(value);
        if ((mxcsr & ~XsaveEmulator.MxcsrWritableBits) != 0)
        {
            return EmulationResult.Exception(ExceptionVector.GeneralProtection, 0);
        }
        Span<byte> image = stackalloc byte[XsaveEmulator.ImageSize];
        state.ReadXsaveImage(image);
        BinaryPrimitives.WriteUInt32LittleEndian(image[XsaveEmulator.MxcsrOffset..], mxcsr);
        XsaveEmulator.MarkSseInUse(image);
        state.WriteXsaveImage(image);
        return Advance(instruction, ref regs);
    }

    private static EmulationResult StoreMxcsr(in Instruction instruction, ref KvmRegs regs, in KvmSregs sregs, GuestVirtualMemory memory, IExtendedState state)
    {
        if (WithAddress(instruction, ref regs, sregs, out ulong address) is { } failure)
        {
            return failure;
        }
        if (!memory.TryProbeWrite(address, 4, out ulong fault, out uint errorCode))
        {
            return EmulationResult.PageFault(fault, errorCode);
        }
        Span<byte> image = stackalloc byte[XsaveEmulator.ImageSize];
        state.ReadXsaveImage(image);
        memory.TryWrite(address, image.Slice(XsaveEmulator.MxcsrOffset, 4), out _);
        return Advance(instruction, ref regs);
    }

    /// <summary>The linear address of the instruction's memory operand, or a result explaining why there is none.</summary>
    internal static EmulationResult? WithAddress(in Instruction instruction, ref KvmRegs regs, in KvmSregs sregs, out ulong address)
    {
        int operand = -1;
        for (int i = 0; i < instruction.OpCount; i++)
        {
            if (instruction.GetOpKind(i) == OpKind.Memory)
            {
                operand = i;
                break;
            }
        }
        if (operand < 0)
        {
            address = 0;
            return EmulationResult.Unsupported("instruction has no memory operand");
        }
        var registers = regs;
        var special = sregs;
        if (instruction.TryGetVirtualAddress(operand, 0, out address,
                (Register register, int _, int _, out ulong value) => RegisterFile.TryGetForAddress(ref registers, special, register, out value)))
        {
            return null;
        }
        return EmulationResult.Unsupported("cannot compute the memory operand's address");
    }
}
