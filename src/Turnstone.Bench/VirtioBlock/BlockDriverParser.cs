namespace Turnstone.Bench.VirtioBlock;

/// <summary>
/// Reads turnstone-blkdriver's lines out of a serial console transcript, from QEMU or Turnstone
/// alike. The format is defined in images/blkdriver/main.c's header comment. Lines without the
/// prefix are skipped, and so is anything before the prefix on a line, where a console may have
/// left garbage (a firmware message's tail, a stray byte from the UART's reset).
/// </summary>
public static class BlockDriverParser
{
    public const string Prefix = "turnstone-blkdriver: ";
    private const string WorkloadField = "workload=", ErrorTag = "error: ", DoneTag = "done ", PlatformTag = "platform ";
    public static readonly IReadOnlyList<string> Workloads = ["seq-write", "seq-read", "rand-read", "rand-write"];
    public static readonly IReadOnlyList<string> Modes = ["poll", "msix"];

    /// <summary>The results in the order printed.</summary>
    /// <inheritdoc cref="ParseRun"/>
    public static IReadOnlyList<BlockDriverResult> Parse(string transcript) => ParseRun(transcript).Results;

    /// <summary>The results in the order printed, and what the run said about itself.</summary>
    /// <exception cref="InvalidOperationException">The guest printed an error, a read saw data it
    /// did not write, the done line counts failures, or there is no done line (the guest died
    /// mid-run); the message quotes the guest's lines.</exception>
    /// <exception cref="FormatException">A line of a complete run is malformed; the message names
    /// the line and the field.</exception>
    public static (IReadOnlyList<BlockDriverResult> Results, BlockDriverRunInfo Info) ParseRun(string transcript)
    {
        var results = new List<BlockDriverResult>();
        var guestFailures = new List<string>();
        FormatException? firstMalformed = null;
        (long Workloads, long IoTraps)? done = null;
        (long? Hz, string? Source) tsc = (null, null);
        string? lastGuestLine = null;

        string[] lines = transcript.Split('\n');
        for (int index = 0; index < lines.Length; index++)
        {
            string raw = lines[index].TrimEnd('\r', ' ');
            int start = raw.IndexOf(Prefix, StringComparison.Ordinal);
            if (start < 0)
            {
                continue;
            }
            string line = raw[start..], body = line[Prefix.Length..];
            lastGuestLine = line;
            try
            {
                if (body.StartsWith(ErrorTag, StringComparison.Ordinal))
                {
                    guestFailures.Add(line);
                }
                else if (body.StartsWith(WorkloadField, StringComparison.Ordinal))
                {
                    var result = ParseResult(new BlockDriverLineFields(body, index + 1, line));
                    if (result.Verify == "fail")
                    {
                        guestFailures.Add($"{line}  <- read back data that differs from what was written");
                    }
                    results.Add(result);
                }
                else if (body.StartsWith(DoneTag, StringComparison.Ordinal))
                {
                    var fields = new BlockDriverLineFields(body[DoneTag.Length..], index + 1, line);
                    done = (fields.Integer("workloads"), fields.Integer("io_traps"));
                    if (fields.Integer("failures") > 0)
                    {
                        guestFailures.Add(line);
                    }
                }
                else if (body.StartsWith(PlatformTag, StringComparison.Ordinal))
                {
                    var fields = new BlockDriverLineFields(body[PlatformTag.Length..], index + 1, line);
                    tsc = (fields.Has("tsc_hz") ? fields.Integer("tsc_hz") : null, fields.Has("tsc_source") ? fields.Text("tsc_source") : null);
                }
            }
            catch (FormatException malformed)
            {
                // Keep reading: an error line further on, or a missing done line, is the real
                // story, and a line cut short by the guest's death is only its symptom.
                firstMalformed ??= malformed;
            }
        }

        if (guestFailures.Count > 0)
        {
            throw new InvalidOperationException("turnstone-blkdriver failed:\n" + string.Join('\n', guestFailures), firstMalformed);
        }
        if (done is not { } complete)
        {
            string last = lastGuestLine is null ? "it printed no line at all" : $"its last line: {lastGuestLine}";
            throw new InvalidOperationException($"no '{Prefix}{DoneTag.TrimEnd()}' line: the guest stopped before finishing the run ({last})", firstMalformed);
        }
        if (firstMalformed is not null)
        {
            throw firstMalformed;
        }
        if (complete.Workloads != results.Count)
        {
            // Lines lost on the console, or two runs in one transcript: either way the figures
            // are not one run's.
            throw new InvalidOperationException($"the guest reported {complete.Workloads} workloads but the transcript holds {results.Count} result lines");
        }
        return (results, new BlockDriverRunInfo(complete.IoTraps, tsc.Hz, tsc.Source));
    }

    private static BlockDriverResult ParseResult(BlockDriverLineFields fields)
    {
        string workload = fields.OneOf("workload", [.. Workloads]);
        bool isRead = workload.EndsWith("-read", StringComparison.Ordinal);
        var result = new BlockDriverResult(
            workload,
            fields.OneOf("mode", [.. Modes]),
            (int)fields.Integer("qd", minimum: 1, maximum: 64),
            (int)fields.Integer("block", minimum: 1, maximum: int.MaxValue),
            fields.Integer("ops"),
            fields.Integer("bytes"),
            fields.Real("seconds"),
            fields.Real("mbps"),
            fields.Real("iops"),
            // Reads check what the writes wrote; a write has nothing to check.
            isRead ? fields.OneOf("verify", "ok", "fail") : fields.OneOf("verify", "n/a"),
            (int)fields.Integer("segs", minimum: 1, maximum: int.MaxValue),
            fields.Integer("kicks"),
            fields.Integer("irqs"));
        if ((Int128)result.Operations * result.BlockBytes != result.Bytes)
        {
            throw fields.Malformed("bytes must equal ops * block");
        }
        return result;
    }
}
