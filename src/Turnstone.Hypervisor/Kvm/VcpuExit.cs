namespace Turnstone.Hypervisor.Kvm;

/// <summary>KVM_EXIT_* reasons the run loop distinguishes.</summary>
public enum VcpuExitReason : uint
{
    Unknown = 0,
    Exception = 1,
    Io = 2,
    Hypercall = 3,
    Debug = 4,
    Hlt = 5,
    Mmio = 6,
    IrqWindowOpen = 7,
    Shutdown = 8,
    FailEntry = 9,
    /// <summary>KVM_EXIT_INTR, also what a KVM_RUN interrupted by a signal or immediate_exit reports.</summary>
    Interrupted = 10,
    InternalError = 17,
    SystemEvent = 24,
}

/// <summary>KVM_INTERNAL_ERROR_* sub-reasons.</summary>
public enum InternalErrorKind : uint
{
    Emulation = 1,
    SimultaneousException = 2,
    DeliveryEvent = 3,
    UnexpectedExitReason = 4,
}

/// <summary>KVM_SYSTEM_EVENT_* types.</summary>
public enum SystemEventKind : uint
{
    Shutdown = 1,
    Reset = 2,
    Crash = 3,
}

/// <summary>
/// One exit from KVM_RUN, decoded from the shared kvm_run page. A value type so the hot loop
/// allocates nothing; the data of a port write or MMIO access stays in the run page
/// (<see cref="Vcpu.IoData"/>, <see cref="Vcpu.MmioData"/>).
/// </summary>
public readonly record struct VcpuExit(
    VcpuExitReason Reason,
    bool IoIsWrite = false,
    ushort IoPort = 0,
    byte IoSize = 0,
    uint IoCount = 0,
    ulong MmioAddress = 0,
    byte MmioLength = 0,
    bool MmioIsWrite = false,
    InternalErrorKind InternalError = 0,
    SystemEventKind SystemEvent = 0,
    ulong DebugPc = 0,
    uint DebugException = 0,
    ulong HardwareEntryFailure = 0)
{
    public override string ToString() => Reason switch
    {
        VcpuExitReason.Io => $"{(IoIsWrite ? "out" : "in")} port 0x{IoPort:x} size {IoSize} count {IoCount}",
        VcpuExitReason.Mmio => $"mmio {(MmioIsWrite ? "write" : "read")} 0x{MmioAddress:x} length {MmioLength}",
        VcpuExitReason.InternalError => $"internal error {InternalError}",
        VcpuExitReason.SystemEvent => $"system event {SystemEvent}",
        VcpuExitReason.Debug => $"debug exception {DebugException} at 0x{DebugPc:x}",
        VcpuExitReason.FailEntry => $"VM entry failed, hardware reason 0x{HardwareEntryFailure:x}",
        _ => Reason.ToString(),
    };
}
