using Iced.Intel;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Emulation;
using Turnstone.Hypervisor.Interop;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Hypervisor.Quirks;

/// <summary>
/// Repairs user-mode system calls on hosts that misdeliver them (see <see cref="HostQuirks"/>).
/// Hardware breakpoints sit on the guest's #PF and #UD handlers (they fire in the host-emulated
/// CPL 0, where the guest's handlers run); the addresses come from the guest's IDT, re-read every
/// few exits because the kernel loads its final IDT late in boot. On a hit the exception frame tells
/// a misdelivered system call from a genuine fault. No kernel symbols are needed.
/// </summary>
public sealed class SystemCallRepair(IGuestMemory memory)
{
    private const uint MsrLstar = 0xC000_0082, MsrSyscallMask = 0xC000_0084;
    private const int IdtRefreshInterval = 64;

    private ulong _pageFaultHandler, _invalidOpcodeHandler, _legacySystemCallHandler;
    private int _exitsSinceRefresh = IdtRefreshInterval;

    public long SystemCallsRedirected { get; private set; }
    public long LegacySystemCallsRedirected { get; private set; }
    public long GenuineExceptionsStepped { get; private set; }
    public long ForeignDebugExceptions { get; private set; }

    private const byte DebugVector = 1;

    /// <summary>Called on every exit; re-reads the IDT and moves the breakpoints when the handlers changed.</summary>
    public void OnExit(Vcpu vcpu)
    {
        if (++_exitsSinceRefresh < IdtRefreshInterval)
        {
            return;
        }
        _exitsSinceRefresh = 0;
        var sregs = vcpu.GetSpecialRegisters();
        var paging = new PagingMode(sregs.Cr0, sregs.Cr3, sregs.Cr4, sregs.Efer);
        if (!paging.PagingEnabled || !paging.LongMode || sregs.Idt.Limit == 0)
        {
            return;
        }
        var virtualMemory = new GuestVirtualMemory(memory, paging);
        if (!GuestIdt.TryReadHandler(virtualMemory, sregs.Idt.Base, sregs.Idt.Limit, GuestIdt.PageFault, out ulong pf) ||
            !GuestIdt.TryReadHandler(virtualMemory, sregs.Idt.Base, sregs.Idt.Limit, GuestIdt.InvalidOpcode, out ulong ud))
        {
            return;
        }
        GuestIdt.TryReadHandler(virtualMemory, sregs.Idt.Base, sregs.Idt.Limit, GuestIdt.LegacySystemCall, out ulong int80);
        _legacySystemCallHandler = int80;
        if (pf != _pageFaultHandler || ud != _invalidOpcodeHandler)
        {
            _pageFaultHandler = pf;
            _invalidOpcodeHandler = ud;
            vcpu.SetHardwareBreakpoints([pf, ud]);
        }
    }

    /// <summary>Handles a KVM_EXIT_DEBUG. Returns null when handled, else why the VM must stop.</summary>
    public string? HandleDebugExit(Vcpu vcpu, VcpuExit exit)
    {
        var regs = vcpu.GetRegisters();
        var sregs = vcpu.GetSpecialRegisters();
        var virtualMemory = new GuestVirtualMemory(memory, new PagingMode(sregs.Cr0, sregs.Cr3, sregs.Cr4, sregs.Efer));
        Span<byte> frame = stackalloc byte[48];
        if (exit.DebugPc != _pageFaultHandler && exit.DebugPc != _invalidOpcodeHandler)
        {
            // With guest debugging on, KVM hands every #DB to the monitor, including the guest's own
            // (single-stepping, int1): give those back to the guest.
            vcpu.InjectException(DebugVector);
            ForeignDebugExceptions++;
            return null;
        }
        if (!virtualMemory.TryRead(regs.Rsp, frame, out _))
        {
            return $"exception frame at RSP 0x{regs.Rsp:x} is not mapped";
        }
        if (exit.DebugPc == _pageFaultHandler &&
            MisdeliveredSystemCall.ClassifyPageFault(frame, sregs.Cr2, vcpu.GetMsr(MsrLstar), regs.Rcx, virtualMemory) == BreakpointVerdict.SystemCall)
        {
            // What SYSCALL leaves: RIP = LSTAR, RSP unchanged (the user's), RCX/R11 already set by the host.
            regs.Rip = sregs.Cr2;
            regs.Rsp = MisdeliveredSystemCall.Read(frame, 4);
            regs.Rflags = MisdeliveredSystemCall.SystemCallEntryFlags(MisdeliveredSystemCall.Read(frame, 3), vcpu.GetMsr(MsrSyscallMask));
            vcpu.SetRegisters(regs);
            SystemCallsRedirected++;
            return null;
        }
        if (exit.DebugPc == _invalidOpcodeHandler && _legacySystemCallHandler != 0 &&
            MisdeliveredSystemCall.ClassifyInvalidOpcode(frame, virtualMemory) == BreakpointVerdict.LegacySystemCall)
        {
            // The #UD frame becomes an int $0x80 frame: its RIP must point past the two-byte instruction.
            Span<byte> returnAddress = stackalloc byte[8];
            BitConverter.TryWriteBytes(returnAddress, MisdeliveredSystemCall.Read(frame, 0) + 2);
            if (!virtualMemory.TryWrite(regs.Rsp, returnAddress, out _))
            {
                return $"cannot rewrite the #UD frame at 0x{regs.Rsp:x}";
            }
            regs.Rip = _legacySystemCallHandler;
            vcpu.SetRegisters(regs);
            LegacySystemCallsRedirected++;
            return null;
        }
        GenuineExceptionsStepped++;
        return StepOverHandlerEntry(vcpu, ref regs, sregs, virtualMemory);
    }

    // Resuming at the breakpoint would hit it again (RF is not honoured on resume here), so the
    // handler's first instruction is executed by us. Linux starts these handlers with ENDBR64, a
    // NOP, or CLAC (or its NOP replacement when SMAP is off); small handlers may load a register.
    private static string? StepOverHandlerEntry(Vcpu vcpu, ref KvmRegs regs, in KvmSregs sregs, GuestVirtualMemory memory)
    {
        Span<byte> bytes = stackalloc byte[15];
        if (!memory.TryRead(regs.Rip, bytes, out _) || !InstructionDecoding.TryDecode(bytes, regs.Rip, sregs, out var instruction))
        {
            return $"cannot read the exception handler's first instruction at 0x{regs.Rip:x}";
        }
        switch (instruction.Mnemonic)
        {
            case Mnemonic.Nop or Mnemonic.Endbr64:
                break;
            case Mnemonic.Clac:
                regs.Rflags &= ~(1ul << 18);
                break;
            case Mnemonic.Stac:
                regs.Rflags |= 1ul << 18;
                break;
            case Mnemonic.Mov when instruction.Op0Kind == OpKind.Register && instruction.Op0Register.IsGPR() && IsImmediate(instruction.Op1Kind):
                RegisterFile.Write(ref regs, instruction.Op0Register, instruction.GetImmediate(1));
                break;
            // Linux's early IDT stubs start with "push $vector".
            case Mnemonic.Push when IsImmediate(instruction.Op0Kind) || (instruction.Op0Kind == OpKind.Register && instruction.Op0Register.IsGPR64()):
                ulong value = instruction.Op0Kind == OpKind.Register ? RegisterFile.Read(ref regs, instruction.Op0Register) : instruction.GetImmediate(0);
                Span<byte> pushed = stackalloc byte[8];
                BitConverter.TryWriteBytes(pushed, value);
                if (!memory.TryWrite(regs.Rsp - 8, pushed, out _))
                {
                    return $"cannot push onto the exception handler's stack at 0x{regs.Rsp - 8:x}";
                }
                regs.Rsp -= 8;
                break;
            default:
                return $"cannot step over the exception handler's first instruction '{instruction}' at 0x{regs.Rip:x}";
        }
        regs.Rip = instruction.NextIP;
        vcpu.SetRegisters(regs);
        return null;
    }

    private static bool IsImmediate(OpKind kind) => kind is OpKind.Immediate8 or OpKind.Immediate16 or OpKind.Immediate32
        or OpKind.Immediate64 or OpKind.Immediate8to32 or OpKind.Immediate8to64 or OpKind.Immediate32to64;
}
