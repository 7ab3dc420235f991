using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Machine.Bios;

/// <summary>
/// The vCPU of <see cref="BiosRehearsal"/>: it never runs; it only hands the firmware call port the
/// rehearsal's registers, as a real vCPU hands over its own at a firmware-call exit.
/// </summary>
internal sealed class RehearsalExitSource(RehearsalRegisters registers) : IVcpuExitSource
{
    public Span<byte> IoData => Span<byte>.Empty;

    public Span<byte> MmioData => Span<byte>.Empty;

    public VcpuExit Run() => throw new NotSupportedException("the BIOS rehearsal's vCPU runs no guest code");

    public bool TryHandleEngineExit(in VcpuExit exit, out string? failure)
    {
        failure = null;
        return false;
    }

    public VcpuRegisterWindow? RealModeRegisters() => registers;

    public string StateReport(string reason, in VcpuExit exit) => reason;
}
