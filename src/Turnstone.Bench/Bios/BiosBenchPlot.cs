using Turnstone.Bench.Boot;

namespace Turnstone.Bench.Bios;

/// <summary><c>bench bios</c>'s medians as a self-contained SVG, drawn as <c>bench boot</c>'s:
/// a pair of bars per row (image and engine), ours and QEMU + SeaBIOS's seconds to the root's init.</summary>
public static class BiosBenchPlot
{
    public static string Draw(BiosBenchResult result) =>
        BootBenchPlot.DrawPairs("Disk boot through the BIOS: seconds from process start to the root's init (median)",
            $"{result.Machine}; {result.HostLoad}; {result.When:yyyy-MM-dd}; {result.Repeats} run(s) each; QEMU on the same engine class (TCG for soft)",
            "seconds to the init line",
            result.Rows.Select(row => new BarPair($"{row.Image}, {row.Engine}", row.TurnstoneProblem is null ? row.ToInit?.Median : null, row.QemuToInit?.Median)).ToList(),
            "QEMU + SeaBIOS");
}
