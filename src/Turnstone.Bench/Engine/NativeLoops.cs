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
        string output = HostCProgram.CompileAndRun("engine_loops.c",
            [Invariant(integerIterations), Invariant(memoryPasses), Invariant(LoopGuest.MemoryElements), Invariant(repeats)], "the native loops");
        return Parse(output);
    }

    /// <summary>Reads engine_loops' output (<c>integer_seconds=...</c>, <c>memory_seconds=...</c>).</summary>
    public static Figures Parse(string output) => new(Find(output, IntegerPattern()), Find(output, MemoryPattern()));

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

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
