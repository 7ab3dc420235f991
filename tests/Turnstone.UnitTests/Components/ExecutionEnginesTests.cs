using Turnstone.Components;
using Turnstone.Engine;

namespace Turnstone.UnitTests.Components;

public sealed class ExecutionEnginesTests
{
    [Theory]
    [InlineData("auto", EngineChoice.Auto)]
    [InlineData("kvm", EngineChoice.Kvm)]
    [InlineData("soft", EngineChoice.Soft)]
    public void Engine_names_parse(string text, EngineChoice expected)
    {
        Assert.True(ExecutionEngines.TryParse(text, out var choice));
        Assert.Equal(expected, choice);
    }

    [Fact]
    public void Unknown_engine_names_are_refused() => Assert.False(ExecutionEngines.TryParse("tcg", out _));

    [Fact]
    public void The_software_engine_opens_anywhere_and_says_why()
    {
        var (engine, reason) = ExecutionEngines.Open(EngineChoice.Soft);
        using (engine)
        {
            Assert.Equal(EngineKind.Software, engine.Kind);
            Assert.Contains("soft", reason);
        }
    }

    [Fact]
    public async Task A_runtime_refuses_options_asking_for_the_other_engine()
    {
        using var runtime = new ComponentRuntime(engine: EngineChoice.Soft);
        Assert.Equal(EngineKind.Software, runtime.Engine);
        Assert.True(ExecutionEngines.Allows(EngineChoice.Auto, EngineKind.Software));
        Assert.False(ExecutionEngines.Allows(EngineChoice.Kvm, EngineKind.Software));

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => runtime.LoadAsync(new byte[16], new ComponentOptions { Engine = EngineChoice.Kvm }));
        Assert.Contains("soft", refused.Message);
    }

    [Fact]
    public void Auto_takes_the_software_engine_where_KVM_emulates_guest_kernel_code_and_says_why()
    {
        // Where /dev/kvm is missing, auto takes the software engine anyway, for that reason; where it
        // exists, the host's nested PVM KVM is the reason (the seam says it has one here).
        bool kvmUsable = Turnstone.Hypervisor.Kvm.KvmSystem.Probe().IsUsable;
        var (engine, reason) = ExecutionEngines.Open(EngineChoice.Auto, kvmEmulatesGuestKernelCode: () => true);
        using (engine)
        {
            Assert.Equal(EngineKind.Software, engine.Kind);
            Assert.Contains(kvmUsable ? "nested PVM" : "KVM is unusable", reason);
        }
    }
}
