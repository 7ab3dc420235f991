using System.Globalization;

namespace Turnstone.Bench.VirtioBlock;

/// <summary>
/// Reads turnstone-blkbench's result lines out of a console transcript or the host run's stdout.
/// The format, defined in images/blkbench/blkbench.c:
/// <code>turnstone-blkbench: workload=W block=B ops=N bytes=N seconds=S mbps=M iops=I direct=0|1[ verify=ok|fail]</code>
/// Other lines (kernel messages, init's markers) are skipped, and so is anything before the
/// prefix on a line, where a console may have left a kernel message's tail.
/// </summary>
public static class VirtioBlockBenchParser
{
    public const string Prefix = "turnstone-blkbench: ";
    private const string WorkloadField = "workload=", ErrorTag = "error: ";
    private static readonly string[] Workloads = ["seq-write", "seq-read", "rand-read"];

    /// <summary>The results in the order printed.</summary>
    /// <exception cref="FormatException">A result line is malformed or lacks a field; the message
    /// names the line.</exception>
    /// <exception cref="InvalidOperationException">blkbench reported an error or a failed
    /// read-back, or printed no result at all.</exception>
    public static IReadOnlyList<VirtioBlockBenchResult> Parse(string transcript)
    {
        var results = new List<VirtioBlockBenchResult>();
        var failures = new List<string>();
        string[] lines = transcript.Split('\n');
        for (int index = 0; index < lines.Length; index++)
        {
            string line = lines[index].TrimEnd('\r', ' ');
            int start = line.IndexOf(Prefix, StringComparison.Ordinal);
            if (start < 0)
            {
                continue;
            }
            string body = line[(start + Prefix.Length)..];
            if (body.StartsWith(ErrorTag, StringComparison.Ordinal))
            {
                failures.Add(line[start..]);
            }
            else if (body.StartsWith(WorkloadField, StringComparison.Ordinal))
            {
                var (result, verifyFailed) = ParseResult(body, index + 1);
                if (verifyFailed)
                {
                    failures.Add($"line {index + 1}: {result.Workload} read back data that differs from what it wrote (verify=fail)");
                }
                results.Add(result);
            }
        }
        if (failures.Count > 0)
        {
            throw new InvalidOperationException("turnstone-blkbench failed:\n" + string.Join('\n', failures));
        }
        return results.Count > 0
            ? results
            : throw new InvalidOperationException($"no '{Prefix}{WorkloadField}' line in the output: did the benchmark run?");
    }

    private static (VirtioBlockBenchResult Result, bool VerifyFailed) ParseResult(string body, int lineNumber)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string field in body.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = field.IndexOf('=');
            if (equals <= 0 || !fields.TryAdd(field[..equals], field[(equals + 1)..]))
            {
                throw Malformed(lineNumber, body, $"'{field}' is not a key=value field, or repeats a key");
            }
        }
        string Field(string key) =>
            fields.TryGetValue(key, out string? value) && value.Length > 0
                ? value
                : throw Malformed(lineNumber, body, $"the field {key}= is missing or empty");

        string workload = Field("workload");
        if (!Workloads.Contains(workload))
        {
            throw Malformed(lineNumber, body, $"unknown workload '{workload}' (known: {string.Join(", ", Workloads)})");
        }
        var result = new VirtioBlockBenchResult(
            workload,
            (int)Integer(lineNumber, body, "block", Field("block"), int.MaxValue),
            Integer(lineNumber, body, "ops", Field("ops"), long.MaxValue),
            Integer(lineNumber, body, "bytes", Field("bytes"), long.MaxValue),
            Real(lineNumber, body, "seconds", Field("seconds")),
            Real(lineNumber, body, "mbps", Field("mbps")),
            Real(lineNumber, body, "iops", Field("iops")),
            Field("direct") switch
            {
                "1" => true,
                "0" => false,
                string other => throw Malformed(lineNumber, body, $"direct={other}; expected 0 or 1"),
            });
        if (result.BlockBytes == 0 || result.Operations == 0 || result.Seconds == 0 || (Int128)result.Operations * result.BlockBytes != result.Bytes)
        {
            throw Malformed(lineNumber, body, "block, ops and seconds must be positive, and bytes = ops * block");
        }
        // blkbench verifies every write it times: a seq-write line without the verdict is not its output.
        bool verifyFailed = workload == "seq-write" && Field("verify") switch
        {
            "ok" => false,
            "fail" => true,
            string other => throw Malformed(lineNumber, body, $"verify={other}; expected ok or fail"),
        };
        return (result, verifyFailed);
    }

    private static long Integer(int lineNumber, string body, string key, string text, long maximum) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value <= maximum
            ? value
            : throw Malformed(lineNumber, body, $"{key}={text} is not a whole number from 0 to {maximum}");

    private static double Real(int lineNumber, string body, string key, string text) =>
        double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)
            ? value
            : throw Malformed(lineNumber, body, $"{key}={text} is not a non-negative decimal number");

    private static FormatException Malformed(int lineNumber, string body, string problem) =>
        new($"line {lineNumber}: {problem}: {Prefix}{body}");
}
