using Turnstone.Hypervisor.Kvm;
using Turnstone.Machine;

namespace Turnstone.UnitTests.Machine;

public sealed class ExitStatisticsTests
{
    [Fact]
    public void Counts_exits_by_reason()
    {
        var stats = new ExitStatistics();

        stats.Count(VcpuExitReason.Io);
        stats.Count(VcpuExitReason.Io);
        stats.Count(VcpuExitReason.Mmio);
        stats.Count(VcpuExitReason.InternalError);

        Assert.Equal(4, stats.Total);
        Assert.Equal(2, stats[VcpuExitReason.Io]);
        Assert.Equal(1, stats[VcpuExitReason.Mmio]);
        Assert.Equal(1, stats[VcpuExitReason.InternalError]);
        Assert.Equal(0, stats[VcpuExitReason.Hlt]);
    }

    /// <summary>KVM has exit reasons above 31 (KVM_EXIT_XEN = 34, KVM_EXIT_NOTIFY = 37,
    /// KVM_EXIT_MEMORY_FAULT = 39); they must not be reported as port I/O, HLT or an IRQ window.</summary>
    [Theory]
    [InlineData(34u, VcpuExitReason.Io)]
    [InlineData(37u, VcpuExitReason.Hlt)]
    [InlineData(39u, VcpuExitReason.IrqWindowOpen)]
    public void Exit_reasons_above_31_are_not_counted_as_another_reason(uint raw, VcpuExitReason alias)
    {
        var stats = new ExitStatistics();

        stats.Count((VcpuExitReason)raw);

        Assert.Equal(1, stats.Total);
        Assert.Equal(0, stats[alias]);
    }
}
