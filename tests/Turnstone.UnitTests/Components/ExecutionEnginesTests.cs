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
}
