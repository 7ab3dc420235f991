using System.Globalization;
using System.Text.RegularExpressions;

namespace Turnstone.UnitTests.Acpi;

/// <summary>One field of iasl's data-table listing: "[024h 0036   4]   FACS Address : 000E0000", with the decoded flag lines under it.</summary>
internal sealed record ListedField(int Offset, int Length, string Name, string Value, IReadOnlyDictionary<string, string> Flags)
{
    /// <summary>The value as a number (iasl prints field values in hex, without a prefix).</summary>
    public ulong Number => ulong.Parse(Value.Split(' ')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    public string Text => Value.Split('"') is [_, var text, ..] ? text : Value;
}

/// <summary>iasl -d's listing of a data table (FADT, MADT, MCFG, XSDT, FACS), parsed so a test can ask what iasl read where.</summary>
internal sealed partial class DataTableListing
{
    private DataTableListing(IReadOnlyList<ListedField> fields) => Fields = fields;

    public IReadOnlyList<ListedField> Fields { get; }

    public static DataTableListing Parse(string dsl)
    {
        var fields = new List<ListedField>();
        Dictionary<string, string>? flags = null;
        foreach (string line in dsl.Split('\n'))
        {
            if (line.StartsWith("Raw Table Data", StringComparison.Ordinal))
            {
                break;
            }
            if (FieldLine().Match(line) is { Success: true } field)
            {
                flags = [];
                fields.Add(new ListedField(int.Parse(field.Groups["offset"].Value, CultureInfo.InvariantCulture),
                    int.Parse(field.Groups["length"].Value, CultureInfo.InvariantCulture),
                    field.Groups["name"].Value.Trim(), field.Groups["value"].Value.Trim(), flags));
            }
            else if (flags is not null && FlagLine().Match(line) is { Success: true } flag)
            {
                flags[flag.Groups["name"].Value.Trim()] = flag.Groups["value"].Value.Trim();
            }
        }
        return new DataTableListing(fields);
    }

    /// <summary>The field at a byte offset: unambiguous where names repeat (the FADT has two "FACS Address" fields).</summary>
    public ListedField At(int offset) =>
        Fields.FirstOrDefault(f => f.Offset == offset && !f.Value.Contains("[Generic Address Structure]", StringComparison.Ordinal))
        ?? throw new KeyNotFoundException($"iasl listed no field at offset {offset}");

    public ListedField Named(string name) =>
        Fields.Single(f => f.Name == name);

    /// <summary>Subtables (MADT entries), each the run of fields starting at a "Subtable Type" line.</summary>
    public IReadOnlyList<IReadOnlyList<ListedField>> Subtables()
    {
        var subtables = new List<List<ListedField>>();
        foreach (var field in Fields)
        {
            if (field.Name == "Subtable Type")
            {
                subtables.Add([]);
            }
            subtables.LastOrDefault()?.Add(field);
        }
        return subtables;
    }

    [GeneratedRegex(@"^\[(?<hex>[0-9A-F]+)h (?<offset>\d+)\s+(?<length>\d+)\]\s+(?<name>.+?) : (?<value>.*)$")]
    private static partial Regex FieldLine();

    [GeneratedRegex(@"^\s+(?<name>[^\[].*?) : (?<value>\S+)\s*$")]
    private static partial Regex FlagLine();
}
