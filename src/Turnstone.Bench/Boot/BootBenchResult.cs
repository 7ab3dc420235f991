namespace Turnstone.Bench.Boot;

/// <summary>Everything one <c>bench boot</c> run measured, as the table and the JSON report it.</summary>
public sealed record BootBenchResult(
    string Machine,
    string HostLoad,
    DateTimeOffset When,
    int Repeats,
    string Initramfs,
    IReadOnlyList<string> Notes,
    IReadOnlyList<BootBenchRowResult> Rows);
