namespace Turnstone.Bench.Bios;

/// <summary>Everything one <c>bench bios</c> run measured, as the table and the JSON report it.</summary>
public sealed record BiosBenchResult(
    string Machine,
    string HostLoad,
    DateTimeOffset When,
    int Repeats,
    IReadOnlyList<string> Notes,
    IReadOnlyList<BiosBenchRowResult> Rows);
