namespace Turnstone.Bench.Boot;

/// <summary>One row of <see cref="BootBenchPlot.DrawPairs"/>: its label, our median and the baseline's (null: no bar).</summary>
public sealed record BarPair(string Label, double? Ours, double? Baseline);
