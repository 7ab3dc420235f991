using Turnstone.Bench.Boot;
using Turnstone.Engine;

namespace Turnstone.UnitTests.Bench;

public sealed class BootBenchPlanTests
{
    private static readonly BootBenchKernel Minimal = new(BootBenchKernel.Minimal, "/k/bzImage");
    private static readonly BootBenchKernel Cloud = new(BootBenchKernel.Cloud, "/k/vmlinuz");

    private static string Rows(BootBenchPlan plan) => string.Join(",", plan.Rows.Select(row => $"{row.Kernel.Name}/{row.EngineName}"));

    [Theory]
    [InlineData(BootBenchSelection.Auto, true, false, "minimal/soft,minimal/kvm,cloud/soft,cloud/kvm")]
    [InlineData(BootBenchSelection.Auto, false, false, "minimal/soft,cloud/soft")]
    [InlineData(BootBenchSelection.Soft, true, false, "minimal/soft,cloud/soft")]
    [InlineData(BootBenchSelection.Kvm, true, false, "minimal/kvm,cloud/kvm")]
    [InlineData(BootBenchSelection.Both, true, false, "minimal/soft,minimal/kvm,cloud/soft,cloud/kvm")]
    [InlineData(BootBenchSelection.Auto, true, true, "minimal/soft,minimal/kvm,cloud/soft")]
    [InlineData(BootBenchSelection.Both, true, true, "minimal/soft,minimal/kvm,cloud/soft")]
    public void Resolves_the_rows(BootBenchSelection selection, bool kvmUsable, bool nested, string expected)
    {
        var plan = BootBenchPlan.Resolve(selection, [Minimal, Cloud], kvmUsable, "cannot open /dev/kvm", nested, out string? error);

        Assert.Null(error);
        Assert.Equal(expected, Rows(plan!));
    }

    [Fact]
    public void A_nested_PVM_host_is_named_with_the_time_it_takes_and_the_way_to_skip_it()
    {
        var plan = BootBenchPlan.Resolve(BootBenchSelection.Auto, [Minimal, Cloud], true, "", true, out _);

        string notes = string.Join("\n", plan!.Notes);
        Assert.Contains("nested PVM", notes);
        Assert.Contains("--engine soft", notes);
        Assert.Contains("minute", notes);
    }

    [Fact]
    public void Auto_without_KVM_says_why()
    {
        var plan = BootBenchPlan.Resolve(BootBenchSelection.Auto, [Minimal], false, "cannot open /dev/kvm: it does not exist", false, out _);

        Assert.Contains(plan!.Notes, note => note.Contains("it does not exist"));
    }

    [Theory]
    [InlineData(BootBenchSelection.Kvm)]
    [InlineData(BootBenchSelection.Both)]
    public void Asking_for_KVM_without_it_is_an_error_naming_the_reason(BootBenchSelection selection)
    {
        var plan = BootBenchPlan.Resolve(selection, [Minimal], false, "cannot open /dev/kvm: it does not exist", false, out string? error);

        Assert.Null(plan);
        Assert.Contains("it does not exist", error);
    }

    [Fact]
    public void KVM_alone_on_a_nested_host_with_the_cloud_kernel_alone_is_an_error()
    {
        Assert.Null(BootBenchPlan.Resolve(BootBenchSelection.Kvm, [Cloud], true, "", true, out string? error));
        Assert.Contains("minimal kernel only", error);
    }

    [Fact]
    public void Both_monitors_get_the_engines_default_command_line()
    {
        var plan = BootBenchPlan.Resolve(BootBenchSelection.Both, [Minimal], true, "", false, out _)!;

        Assert.Equal("console=ttyS0 reboot=k panic=-1 quiet", plan.Rows.Single(row => row.Engine == EngineKind.Software).CommandLine);
        Assert.Equal("console=ttyS0 reboot=k panic=-1 quiet noxsave clearcpuid=smap", plan.Rows.Single(row => row.Engine == EngineKind.Kvm).CommandLine);
        var soft = plan.Rows[0];
        Assert.Equal("console=ttyS0 reboot=k panic=-1 quiet", BootCommands.QemuTcg(soft, "/i")[^1]);
        Assert.Equal(soft.CommandLine, BootCommands.Turnstone(soft, "/i")[^1]);
        Assert.Contains("q35", BootCommands.QemuTcg(soft, "/i"));
        Assert.Equal("512M", BootCommands.QemuTcg(soft, "/i")[BootCommands.QemuTcg(soft, "/i").ToList().IndexOf("-m") + 1]);
    }
}
