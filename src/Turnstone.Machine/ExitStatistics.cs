using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Machine;

/// <summary>Exit counts by reason, kept by the vCPU loop without allocating.</summary>
public sealed class ExitStatistics
{
    private readonly long[] _byReason = new long[32];

    public long Total { get; private set; }

    public void Count(VcpuExitReason reason)
    {
        Total++;
        _byReason[(int)reason & 31]++;
    }

    public long this[VcpuExitReason reason] => _byReason[(int)reason & 31];
}
