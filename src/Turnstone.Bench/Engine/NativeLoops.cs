using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Turnstone.Bench.Engine;

/// <summary>
/// The loop guests' work as C (engine_loops.c, embedded in this assembly), compiled with the host's
/// gcc -O2 and run natively in the same session: best-of-repeats wall seconds for each loop.
/// </summary>
public static partial class NativeLoops
{
    public sealed record Figures(double IntegerSeconds, double MemorySeconds);

    public static Figures Run(long integerIterations, long memoryPasses, int repeats)
    {
        string directory = Directory.CreateTempSubdirectory("turnstone-loops-").FullName;
        try
        {
            string source = Path.Combine(directory, "engine_loops.c");
            using (var resource = typeof(NativeLoops).Assembly.GetManifestResourceStream("engine_loops.c")
                                  ?? throw new InvalidOperationException("engine_loops.c is not embedded in Turnstone.Bench"))
            using (var file = File.Create(source))
            {
                resource.CopyTo(file);
            }
            string binary = Path.Combine(directory, "engine_loops");
            RunTool("gcc", ["-O2", "-o", binary, source], "compiling the native loops (install gcc)");
            string output = RunTool(binary,
                [Invariant(integerIterations), Invariant(memoryPasses), Invariant(LoopGuest.MemoryElements), Invariant(repeats)], "running the native loops");
            return Parse(output);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Reads engine_loops' output (<c>integer_seconds=...</c>, <c>memory_seconds=...</c>).</summary>
    public static Figures Parse(string output) => new(Find(output, IntegerPattern()), Find(output, MemoryPattern()));

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

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
        return process.ExitCode == 0 ? stdout : throw new InvalidOperationException($"{what} failed ({process.ExitCode}): {stderr.Result}{stdout}");
    }

    private static double Find(string output, Regex pattern)
    {
        var match = pattern.Match(output);
        return match.Success
            ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new FormatException($"the native loops' output lacks '{pattern}':\n{output}");
    }

    [GeneratedRegex(@"^integer_seconds=([0-9.eE+-]+)$", RegexOptions.Multiline)]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^memory_seconds=([0-9.eE+-]+)$", RegexOptions.Multiline)]
    private static partial Regex MemoryPattern();
}
