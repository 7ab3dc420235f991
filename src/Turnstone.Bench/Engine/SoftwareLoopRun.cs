namespace Turnstone.Bench.Engine;

/// <summary>One loop guest on the software CPU: wall time from start to the exit port write, and the
/// instructions the CPU retired, of which <see cref="LoopInstructions"/> are the loop's.</summary>
public sealed record SoftwareLoopRun(double Seconds, long InstructionsRetired, long LoopInstructions);
