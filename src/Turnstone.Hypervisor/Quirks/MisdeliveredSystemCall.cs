using System.Buffers.Binary;
using Turnstone.Hypervisor.Emulation;

namespace Turnstone.Hypervisor.Quirks;

public enum BreakpointVerdict
{
    /// <summary>A user <c>syscall</c> the host delivered as a #PF at LSTAR: enter LSTAR as SYSCALL would have.</summary>
    SystemCall,
    /// <summary>A user <c>int $0x80</c> the host delivered as a #UD on <c>cd 80</c>: enter vector 0x80.</summary>
    LegacySystemCall,
    /// <summary>A genuine exception: let the guest's handler run.</summary>
    GenuineException,
}

/// <summary>
/// Decides what a breakpoint hit on the guest's #PF or #UD handler really is, from the exception
/// frame the host pushed on the guest's kernel stack. Pure logic over guest memory, unit-tested.
/// </summary>
public static class MisdeliveredSystemCall
{
    /// <summary>Frame of a #PF: error code, RIP, CS, RFLAGS, RSP, SS.</summary>
    public static BreakpointVerdict ClassifyPageFault(ReadOnlySpan<byte> frame, ulong cr2, ulong lstar, ulong rcx, GuestVirtualMemory memory)
    {
        ulong rip = Read(frame, 1), cs = Read(frame, 2);
        if ((cs & 3) != 3 || rip != cr2 || cr2 != lstar)
        {
            return BreakpointVerdict.GenuineException;
        }
        // RCX holds the user RIP after the faulting instruction only if it really was a SYSCALL (0f 05).
        Span<byte> opcode = stackalloc byte[2];
        return rcx >= 2 && memory.TryRead(rcx - 2, opcode, out _) && opcode[0] == 0x0F && opcode[1] == 0x05
            ? BreakpointVerdict.SystemCall
            : BreakpointVerdict.GenuineException;
    }

    /// <summary>Frame of a #UD: RIP, CS, RFLAGS, RSP, SS.</summary>
    public static BreakpointVerdict ClassifyInvalidOpcode(ReadOnlySpan<byte> frame, GuestVirtualMemory memory)
    {
        ulong rip = Read(frame, 0), cs = Read(frame, 1);
        if ((cs & 3) != 3)
        {
            return BreakpointVerdict.GenuineException;
        }
        Span<byte> opcode = stackalloc byte[2];
        return memory.TryRead(rip, opcode, out _) && opcode[0] == 0xCD && opcode[1] == 0x80
            ? BreakpointVerdict.LegacySystemCall
            : BreakpointVerdict.GenuineException;
    }

    /// <summary>RFLAGS on entry to LSTAR: the user's flags with SFMASK's bits cleared, as SYSCALL does (RF always clear).</summary>
    public static ulong SystemCallEntryFlags(ulong userFlags, ulong syscallMask) =>
        (userFlags & ~syscallMask & ~(1ul << 16)) | 2;

    public static ulong Read(ReadOnlySpan<byte> frame, int slot) => BinaryPrimitives.ReadUInt64LittleEndian(frame[(slot * 8)..]);
}
