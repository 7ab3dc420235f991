using Turnstone.Engine;

namespace Turnstone.IntegrationTests.Robustness;

/// <summary>Rows on the software engine that also need a pseudo-terminal: skipped, with the reason
/// (<see cref="PseudoTerminal.SkipPrefix"/>), where script(1) cannot make one.</summary>
public sealed class OnSoftEngineOnTerminalAttribute : EngineDataAttribute
{
    public OnSoftEngineOnTerminalAttribute(string? rows = null) : base(EngineChoice.Soft, rows)
    {
        Skip = PseudoTerminal.SkipReason;
    }
}
