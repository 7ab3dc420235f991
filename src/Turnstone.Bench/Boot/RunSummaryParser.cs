using System.Globalization;
using System.Text.RegularExpressions;

namespace Turnstone.Bench.Boot;

/// <summary>Reads <see cref="RunSummaryFigures"/> out of <c>turnstone run</c>'s log (its stderr).</summary>
public static partial class RunSummaryParser
{
    [GeneratedRegex(@"engine (?<engine>\w+); ran (?<ran>[0-9.]+) s; boot timer (?:(?<boot>[0-9.]+) s|not reached);", RegexOptions.CultureInvariant)]
    private static partial Regex Head();

    [GeneratedRegex(@"; (?<count>[0-9]+) guest instructions \(", RegexOptions.CultureInvariant)]
    private static partial Regex Instructions();

    [GeneratedRegex(@"monitor RSS beyond guest RAM (?<beyond>-?[0-9]+) MiB \(managed heap (?<heap>[0-9]+) MiB\)", RegexOptions.CultureInvariant)]
    private static partial Regex Memory();

    [GeneratedRegex(@"; bios (?<ms>[0-9.]+) ms \((?<calls>[0-9]+) calls?(?:; disk transfers (?<diskms>[0-9.]+) ms, (?<diskmib>[0-9.]+) MiB)?\)", RegexOptions.CultureInvariant)]
    private static partial Regex Bios();

    [GeneratedRegex(@"; kernel entered after (?<seconds>[0-9.]+) s", RegexOptions.CultureInvariant)]
    private static partial Regex KernelEntered();

    /// <summary>The figures of the last summary line in <paramref name="log"/>, or null when it has none
    /// (the run failed before its end, or its format changed: the caller says so rather than guess).</summary>
    public static RunSummaryFigures? Parse(string log)
    {
        string? line = log.Split('\n').LastOrDefault(l => Head().IsMatch(l) && Memory().IsMatch(l));
        if (line is null)
        {
            return null;
        }
        var head = Head().Match(line);
        var memory = Memory().Match(line);
        var instructions = Instructions().Match(line);
        var bios = Bios().Match(line);
        var kernel = KernelEntered().Match(line);
        return new RunSummaryFigures(
            head.Groups["engine"].Value,
            double.Parse(head.Groups["ran"].Value, CultureInfo.InvariantCulture),
            head.Groups["boot"].Success ? double.Parse(head.Groups["boot"].Value, CultureInfo.InvariantCulture) : null,
            instructions.Success ? long.Parse(instructions.Groups["count"].Value, CultureInfo.InvariantCulture) : null,
            long.Parse(memory.Groups["beyond"].Value, CultureInfo.InvariantCulture),
            long.Parse(memory.Groups["heap"].Value, CultureInfo.InvariantCulture),
            bios.Success ? double.Parse(bios.Groups["ms"].Value, CultureInfo.InvariantCulture) : null,
            bios.Success ? long.Parse(bios.Groups["calls"].Value, CultureInfo.InvariantCulture) : null,
            kernel.Success ? double.Parse(kernel.Groups["seconds"].Value, CultureInfo.InvariantCulture) : null,
            OptionalNumber(bios.Groups["diskms"]),
            OptionalNumber(bios.Groups["diskmib"]));
    }

    private static double? OptionalNumber(Group group) => group.Success ? double.Parse(group.Value, CultureInfo.InvariantCulture) : null;
}
