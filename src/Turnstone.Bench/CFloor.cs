using System.Diagnostics;
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
        string directory = Directory.CreateTempSubdirectory("turnstone-floor-").FullName;
        try
        {
            string source = Path.Combine(directory, "kvm_floor.c");
            using (var resource = typeof(CFloor).Assembly.GetManifestResourceStream("kvm_floor.c")
                                  ?? throw new InvalidOperationException("kvm_floor.c is not embedded in Turnstone.Bench"))
            using (var file = File.Create(source))
            {
                resource.CopyTo(file);
            }
            string binary = Path.Combine(directory, "kvm_floor");
            RunTool("gcc", ["-O2", "-o", binary, source], "compiling the C floor (install gcc and linux-libc-dev)");
            string output = RunTool(binary, [iterations.ToString(CultureInfo.InvariantCulture)], "running the C floor");
            return new Figures(
                Find(output, PioPattern()), Find(output, MmioPattern()), Find(output, IoeventfdPattern()), Find(output, LifecyclePattern()));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string RunTool(string program, string[] arguments, string what)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{what}: cannot start {program}");
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{what} failed ({process.ExitCode}): {stderr.Result}{stdout}");
        }
        return stdout;
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
