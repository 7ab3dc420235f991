namespace Turnstone.Bench.Engine;

/// <summary>Everything one <c>bench engine</c> run measured, as the table and the JSON report it.</summary>
public sealed record EngineBenchResult(
    string Machine,
    string HostLoad,
    string Engines,
    string QemuMethod,
    DateTimeOffset When,
    IReadOnlyList<InstructionRateRow> InstructionRates,
    IReadOnlyList<ComponentCallRow> ComponentCalls);
