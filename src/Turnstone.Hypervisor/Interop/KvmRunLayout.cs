namespace Turnstone.Hypervisor.Interop;

/// <summary>
/// Offsets into the mmap'ed <c>struct kvm_run</c> (linux/kvm.h), named once: <see cref="Kvm.Vcpu"/>
/// reads and writes the run page through these, and KvmRunLayoutTests checks each against the
/// kernel header (offsetof, compiled by gcc), so a wrong number fails a test instead of misreading
/// an exit. The exit-specific members sit in the union at <see cref="ExitUnion"/>.
/// </summary>
internal static class KvmRunLayout
{
    public const int ImmediateExit = 1;
    public const int ExitReason = 8;
    public const int ExitUnion = 32;
    public const int ExitUnionSize = 256;

    // KVM_EXIT_IO: the data lives in the run page at data_offset, size * count bytes.
    public const int IoDirection = ExitUnion;
    public const int IoSize = ExitUnion + 1;
    public const int IoPort = ExitUnion + 2;
    public const int IoCount = ExitUnion + 4;
    public const int IoDataOffset = ExitUnion + 8;
    /// <summary>KVM_EXIT_IO_OUT: the guest wrote the port.</summary>
    public const byte IoDirectionOut = 1;

    // KVM_EXIT_MMIO: up to 8 bytes of data inline.
    public const int MmioPhysicalAddress = ExitUnion;
    public const int MmioData = ExitUnion + 8;
    public const int MmioLength = ExitUnion + 16;
    public const int MmioIsWrite = ExitUnion + 20;
    public const int MmioMaxLength = 8;

    // KVM_EXIT_INTERNAL_ERROR: suberror, then ndata words (at most 16).
    public const int InternalSuberror = ExitUnion;
    public const int InternalDataCount = ExitUnion + 4;
    public const int InternalData = ExitUnion + 8;
    public const int InternalMaxDataCount = 16;

    // KVM_INTERNAL_ERROR_EMULATION overlays internal.data with flags and the instruction bytes.
    public const int EmulationFailureFlags = ExitUnion + 8;
    public const int EmulationFailureInstructionSize = ExitUnion + 16;
    public const int EmulationFailureInstructionBytes = ExitUnion + 17;
    public const int EmulationFailureMaxInstructionBytes = 15;
    /// <summary>KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES: insn_size and insn_bytes are valid.</summary>
    public const ulong EmulationFailureHasInstructionBytes = 1;

    public const int SystemEventType = ExitUnion;

    // KVM_EXIT_DEBUG: struct kvm_debug_exit_arch.
    public const int DebugException = ExitUnion;
    public const int DebugPc = ExitUnion + 8;

    public const int FailEntryHardwareReason = ExitUnion;

    // KVM_CAP_SYNC_REGS: which register sets KVM copies into s.regs on exit, and which it loads back on entry.
    public const int ValidRegs = 288;
    public const int DirtyRegs = 296;
    public const int SyncRegs = 304;
    /// <summary>KVM_SYNC_X86_REGS: the general registers (struct kvm_regs) in s.regs.</summary>
    public const ulong SyncX86Regs = 1;
}
