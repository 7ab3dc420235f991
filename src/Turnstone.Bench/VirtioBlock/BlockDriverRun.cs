namespace Turnstone.Bench.VirtioBlock;

/// <summary>One monitor's run of the driver guest: its console, or why there is none, and what
/// ran the guest's instructions (Turnstone's engine, QEMU's accelerator).</summary>
public sealed record BlockDriverRun(string Monitor, string Transcript, TimeSpan WallTime, string? Problem, string Accelerator = "")
{
    public bool Succeeded => Problem is null;

    /// <summary>Turnstone's run summary (engine, exits, instructions); null for QEMU.</summary>
    public Machine.MachineRunSummary? Summary { get; init; }
}
