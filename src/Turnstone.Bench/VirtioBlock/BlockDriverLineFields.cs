using System.Globalization;

namespace Turnstone.Bench.VirtioBlock;

/// <summary>
/// The key=value fields of one turnstone-blkdriver line, with lookups that throw a
/// <see cref="FormatException"/> naming the line and the field.
/// </summary>
internal sealed class BlockDriverLineFields
{
    private readonly Dictionary<string, string> fields = new(StringComparer.Ordinal);
    private readonly int lineNumber;
    private readonly string line;

    /// <param name="words">The line after its prefix and tag, e.g. "workloads=8 failures=0 io_traps=0".</param>
    /// <param name="line">The whole line from the prefix on, quoted in errors.</param>
    public BlockDriverLineFields(string words, int lineNumber, string line)
    {
        this.lineNumber = lineNumber;
        this.line = line;
        foreach (string field in words.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = field.IndexOf('=');
            if (equals <= 0 || !fields.TryAdd(field[..equals], field[(equals + 1)..]))
            {
                throw Malformed($"'{field}' is not a key=value field, or repeats a key");
            }
        }
    }

    public bool Has(string key) => fields.ContainsKey(key);

    public string Text(string key) =>
        fields.TryGetValue(key, out string? value) && value.Length > 0
            ? value
            : throw Malformed($"the field {key}= is missing or empty");

    public string OneOf(string key, params string[] allowed)
    {
        string value = Text(key);
        return allowed.Contains(value) ? value : throw Malformed($"{key}={value}; expected {string.Join(" or ", allowed)}");
    }

    public long Integer(string key, long minimum = 0, long maximum = long.MaxValue)
    {
        string text = Text(key);
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value >= minimum && value <= maximum
            ? value
            : throw Malformed($"{key}={text} is not a whole number from {minimum} to {maximum}");
    }

    public double Real(string key)
    {
        string text = Text(key);
        return double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)
            ? value
            : throw Malformed($"{key}={text} is not a non-negative decimal number");
    }

    public FormatException Malformed(string problem) => new($"line {lineNumber}: {problem}: {line}");
}
