namespace Turnstone.Bench.Boot;

/// <summary>One kernel <c>bench boot</c> times: its short name in the table ("minimal", "cloud") and its file.</summary>
public sealed record BootBenchKernel(string Name, string Path)
{
    public const string Minimal = "minimal";
    public const string Cloud = "cloud";
}
