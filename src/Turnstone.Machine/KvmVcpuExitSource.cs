using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Emulation;
using Turnstone.Hypervisor.Kvm;
using Turnstone.Hypervisor.Quirks;

namespace Turnstone.Machine;

/// <summary>
/// A KVM vCPU for <see cref="VcpuLoop"/>, with the exits KVM leaves to us: emulation failures
/// (the nested host's emulator gives up on some instructions; we emulate them) and, on hosts that
/// misdeliver user-mode system calls, the debug exits of the repair.
/// </summary>
internal sealed class KvmVcpuExitSource(Vcpu vcpu, IGuestMemory memory, HostQuirks quirks) : IVcpuExitSource
{
    public EmulationFailureHandler Emulation { get; } = new(memory);

    public SystemCallRepair? SystemCallRepair { get; } = quirks.MisdeliversUserSystemCalls ? new SystemCallRepair(memory) : null;

    private readonly Bios.KvmRealModeRegisters _realModeRegisters = new(vcpu);

    public VcpuExit Run() => vcpu.Run();

    public Bios.VcpuRegisterWindow? RealModeRegisters() => _realModeRegisters.TryOpen() ? _realModeRegisters : null;

    public Span<byte> IoData => vcpu.IoData;

    public Span<byte> MmioData => vcpu.MmioData;

    public bool TryHandleEngineExit(in VcpuExit exit, out string? failure)
    {
        // The repair re-reads the guest's IDT every few exits, whatever they are.
        SystemCallRepair?.OnExit(vcpu);
        switch (exit.Reason)
        {
            case VcpuExitReason.InternalError when exit.InternalError == InternalErrorKind.Emulation:
                failure = Emulation.Handle(vcpu);
                return true;
            case VcpuExitReason.Debug when SystemCallRepair is not null:
                failure = SystemCallRepair.HandleDebugExit(vcpu, exit);
                return true;
            default:
                failure = null;
                return false;
        }
    }

    public string StateReport(string reason, in VcpuExit exit) => VcpuStateReport.Build(vcpu, memory, reason, exit);
}
