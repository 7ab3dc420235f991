using System.Globalization;
using System.Text.RegularExpressions;

namespace Turnstone.UnitTests.Acpi;

/// <summary>One decoded item of acpiexec's "resources" listing: "[02] I/O Resource" and its "Name : Value" lines.</summary>
internal sealed record DecodedItem(string Kind, IReadOnlyDictionary<string, string> Fields)
{
    public ulong Number(string field) =>
        ulong.Parse(Fields.TryGetValue(field, out string? value) ? value.Trim() : throw new KeyNotFoundException($"{Kind} has no '{field}': {string.Join(", ", Fields.Keys)}"),
            NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}

/// <summary>
/// What acpiexec printed in batch mode, split by command. "evaluate X" prints "Evaluation of X
/// returned object" and the value ("[Integer] = ...", "[String] Length 08 = ..."); "resources
/// X" evaluates X's _PRT and _CRS and decodes them with ACPICA's resource manager, the same
/// code Linux runs on them.
/// </summary>
internal sealed partial class AcpiexecTranscript
{
    private readonly string[] _lines;

    public AcpiexecTranscript(ToolResult result)
    {
        Result = result;
        _lines = result.Output.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
    }

    public ToolResult Result { get; }

    /// <summary>Runs assertions about this transcript; a failure carries the whole transcript, so it can be read without rerunning.</summary>
    public void Check(Action<AcpiexecTranscript> assertions)
    {
        try
        {
            assertions(this);
        }
        catch (Xunit.Sdk.XunitException failure)
        {
            throw new Xunit.Sdk.XunitException($"{failure.Message}\n\nacpiexec transcript:\n{Result}");
        }
    }

    /// <summary>The value lines printed for "evaluate <paramref name="path"/>"; fails if the evaluation failed.</summary>
    public IReadOnlyList<string> Evaluation(string path)
    {
        int start = Array.FindIndex(_lines, l => l.StartsWith($"Evaluation of {path} ", StringComparison.Ordinal));
        Assert.True(start >= 0, $"acpiexec did not evaluate {path}\n\n{Result}");
        Assert.True(_lines[start].Contains("returned object", StringComparison.Ordinal), $"{_lines[start]}\n\n{Result}");
        return _lines.Skip(start + 1).TakeWhile(l => l.Length > 0 && !l.StartsWith("Evaluating", StringComparison.Ordinal)).Select(l => l.Trim()).ToArray();
    }

    public IReadOnlyList<ulong> Integers(string path) =>
        Evaluation(path).Select(l => IntegerLine().Match(l)).Where(m => m.Success)
            .Select(m => ulong.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();

    public string String(string path) =>
        Evaluation(path).Select(l => StringLine().Match(l)).First(m => m.Success).Groups[1].Value;

    /// <summary>The decoded _CRS of <paramref name="device"/> from "resources <paramref name="device"/>".</summary>
    public IReadOnlyList<DecodedItem> CurrentResources(string device) => DecodedSection(device, "Evaluating _CRS");

    /// <summary>The decoded _PRT entries of <paramref name="device"/> from "resources <paramref name="device"/>".</summary>
    public IReadOnlyList<DecodedItem> RoutingTable(string device) => DecodedSection(device, "Evaluating _PRT");

    /// <summary>Whether "resources <paramref name="device"/>" found a method to evaluate (it skips absent ones silently).</summary>
    public bool HasSection(string device, string heading)
    {
        int deviceLine = Array.IndexOf(_lines, $"Device: {device}");
        Assert.True(deviceLine >= 0, $"acpiexec printed no resources for {device}\n\n{Result}");
        return _lines.Skip(deviceLine + 1).TakeWhile(l => !l.StartsWith("Device: ", StringComparison.Ordinal)).Contains(heading);
    }

    private IReadOnlyList<DecodedItem> DecodedSection(string device, string heading)
    {
        int deviceLine = Array.IndexOf(_lines, $"Device: {device}");
        Assert.True(deviceLine >= 0, $"acpiexec printed no resources for {device}\n\n{Result}");
        int start = Array.FindIndex(_lines, deviceLine, l => l == heading);
        Assert.True(start >= 0, $"no '{heading}' for {device}\n\n{Result}");
        var items = new List<DecodedItem>();
        Dictionary<string, string>? fields = null;
        foreach (string line in _lines.Skip(start + 1))
        {
            if (line.StartsWith("Device: ", StringComparison.Ordinal) || line.StartsWith("Evaluating ", StringComparison.Ordinal)
                || line.StartsWith("Resource Conversion Comparison", StringComparison.Ordinal))
            {
                break;
            }
            if (line.Contains("rscalc-", StringComparison.Ordinal) || line.Contains("rslist-", StringComparison.Ordinal))
            {
                continue; // ACPICA's debug trace of the conversion, not a decoded field
            }
            if (ItemLine().Match(line) is { Success: true } item)
            {
                fields = [];
                items.Add(new DecodedItem(item.Groups[1].Value.Trim(), fields));
            }
            else if (fields is not null && FieldLine().Match(line) is { Success: true } field)
            {
                fields[field.Groups[1].Value.Trim()] = field.Groups[2].Value.Trim();
            }
        }
        return items;
    }

    [GeneratedRegex(@"^\[Integer\] = ([0-9A-F]+)$")]
    private static partial Regex IntegerLine();

    [GeneratedRegex("^\\[String\\] Length [0-9A-F]+ = \"(.*)\"$")]
    private static partial Regex StringLine();

    [GeneratedRegex(@"^\[\d+\] (.+)$")]
    private static partial Regex ItemLine();

    [GeneratedRegex(@"^\s+(.+?) : (.*)$")]
    private static partial Regex FieldLine();
}
