using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Machine;

/// <summary>Exit counts by reason, kept by the vCPU loop without allocating.</summary>
public sealed class ExitStatistics
{
    // One slot per reason KVM defines today (all below 64) and one for anything newer.
    private readonly long[] _byReason = new long[65];

    public long Total { get; private set; }

    public void Count(VcpuExitReason reason)
    {
        Total++;
        _byReason[Slot(reason)]++;
    }

    public long this[VcpuExitReason reason] => _byReason[Slot(reason)];

    private static int Slot(VcpuExitReason reason) => (uint)reason < 64 ? (int)reason : 64;
}
