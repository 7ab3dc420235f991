using System.Globalization;
using System.Text.RegularExpressions;

namespace Turnstone.Bench;

/// <summary>
/// The C floor (kvm_floor.c, a copy of ../shared/tools/kvm_floor.c embedded in this assembly): the cheapest exit round trips plain C
/// achieves on this host. Compiled with the host's gcc and run in the same session as our own
/// measurement, so ratios compare like with like.
/// </summary>
public static partial class CFloor
{
    public sealed record Figures(double PioMicroseconds, double MmioMicroseconds, double IoeventfdMicroseconds, double VmLifecycleMicroseconds);

    public static Figures Run(long iterations)
    {
        string output = HostCProgram.CompileAndRun("kvm_floor.c", [iterations.ToString(CultureInfo.InvariantCulture)], "the C floor");
        return new Figures(
            Find(output, PioPattern()), Find(output, MmioPattern()), Find(output, IoeventfdPattern()), Find(output, LifecyclePattern()));
    }

    private static double Find(string output, Regex pattern)
    {
        var match = pattern.Match(output);
        return match.Success
            ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"the C floor's output lacks '{pattern}':\n{output}");
    }

    [GeneratedRegex(@"PIO\s+exit round trip:\s*([0-9.]+) us")]
    private static partial Regex PioPattern();

    [GeneratedRegex(@"MMIO exit round trip:\s*([0-9.]+) us")]
    private static partial Regex MmioPattern();

    [GeneratedRegex(@"PIO with ioeventfd:\s*([0-9.]+) us")]
    private static partial Regex IoeventfdPattern();

    [GeneratedRegex(@"VM create\+first exit\+destroy:\s*([0-9.]+) us")]
    private static partial Regex LifecyclePattern();
}
