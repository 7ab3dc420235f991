namespace Turnstone.Bench.VirtioBlock;

/// <summary>One monitor's run of the driver guest: its console, or why there is none.</summary>
public sealed record BlockDriverRun(string Monitor, string Transcript, TimeSpan WallTime, string? Problem)
{
    public bool Succeeded => Problem is null;
}
