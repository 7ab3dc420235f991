using Turnstone.Bench.Engine;

namespace Turnstone.UnitTests.Bench;

public sealed class EngineBenchEnginesTests
{
    [Theory]
    [InlineData(EngineBenchSelection.Auto, true, true, true)]
    [InlineData(EngineBenchSelection.Auto, false, true, false)]
    [InlineData(EngineBenchSelection.Soft, true, true, false)]
    [InlineData(EngineBenchSelection.Soft, false, true, false)]
    [InlineData(EngineBenchSelection.Both, true, true, true)]
    [InlineData(EngineBenchSelection.Kvm, true, false, true)]
    public void Resolves_which_engines_a_run_measures(EngineBenchSelection selection, bool kvmUsable, bool software, bool kvm)
    {
        var engines = EngineBenchEngines.Resolve(selection, kvmUsable, "no /dev/kvm", out string? error);

        Assert.Null(error);
        Assert.NotNull(engines);
        Assert.Equal(software, engines.Software);
        Assert.Equal(kvm, engines.Kvm);
    }

    [Fact]
    public void Auto_without_KVM_says_why()
    {
        var engines = EngineBenchEngines.Resolve(EngineBenchSelection.Auto, false, "no /dev/kvm", out _);

        Assert.Contains("no /dev/kvm", engines!.Reason);
    }

    [Theory]
    [InlineData(EngineBenchSelection.Kvm)]
    [InlineData(EngineBenchSelection.Both)]
    public void Asking_for_KVM_without_it_is_an_error_naming_the_reason(EngineBenchSelection selection)
    {
        var engines = EngineBenchEngines.Resolve(selection, false, "no /dev/kvm", out string? error);

        Assert.Null(engines);
        Assert.Contains("no /dev/kvm", error);
        Assert.Contains($"--engine {selection.ToString().ToLowerInvariant()}", error);
    }
}
