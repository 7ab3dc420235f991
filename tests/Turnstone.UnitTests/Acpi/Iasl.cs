using System.Text.RegularExpressions;

namespace Turnstone.UnitTests.Acpi;

/// <summary>
/// The iasl checks every table goes through. What iasl 20200925 prints for a good table (and so
/// what we accept): a sign-on banner, "Binary file appears to be a valid ACPI table,
/// disassembling", one "ACPI: XXXX ..." header line, parse progress for AML tables, and the name
/// of the .dsl it wrote. A bad checksum, a length mismatch or a malformed subtable shows up as a
/// "Firmware Warning"/"Error" line on the console or as "Incorrect"/"Invalid"/"****" in the .dsl,
/// and any of those fails the test.
/// </summary>
internal static partial class Iasl
{
    /// <summary>Header bytes a recompilation legitimately changes: the checksum and iasl's own creator id and revision.</summary>
    public static readonly int[] HeaderBytesIaslRewrites = [9, 28, 29, 30, 31, 32, 33, 34, 35];

    /// <summary>`iasl -d name`: disassembles a binary table and returns the .dsl text after checking iasl had no complaint.</summary>
    public static string Disassemble(AcpicaWorkspace workspace, string fileName, ReadOnlySpan<byte> table)
    {
        workspace.Write(fileName, table);
        var result = workspace.Iasl("-d", fileName);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Binary file appears to be a valid ACPI table", result.Output);
        AssertNoComplaints(result);
        string dsl = workspace.ReadText(Path.ChangeExtension(fileName, ".dsl"));
        foreach (string line in dsl.Split('\n'))
        {
            Assert.False(line.Contains("Incorrect", StringComparison.OrdinalIgnoreCase)
                || line.Contains("Invalid", StringComparison.OrdinalIgnoreCase)
                || line.Contains("****", StringComparison.Ordinal)
                || line.Contains("Unknown", StringComparison.OrdinalIgnoreCase),
                $"iasl's disassembly of {fileName} flags: {line}\n\n{dsl}");
        }
        return dsl;
    }

    /// <summary>
    /// Compiles a .dsl or .asl in the workspace and returns the .aml bytes. Name-path optimisation
    /// is off (-on), so a path is emitted as written ("\_SB" stays rooted); integer optimisation
    /// stays on, since the shortest integer encoding is what we claim to produce too. Fails on
    /// any error or warning; remarks (such as "argument never used") are allowed.
    /// </summary>
    public static byte[] Compile(AcpicaWorkspace workspace, string sourceName)
    {
        var result = workspace.Iasl("-on", sourceName);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(CompiledCleanly().IsMatch(result.Output), result.ToString());
        return workspace.Read(Path.ChangeExtension(sourceName, ".aml"));
    }

    /// <summary>Compiles ASL terms inside a revision-2 definition block and returns the AML after the 36-byte header.</summary>
    public static byte[] CompileTerms(AcpicaWorkspace workspace, string terms)
    {
        workspace.WriteText("terms.asl", $"DefinitionBlock (\"\", \"SSDT\", 2, \"TRNSTN\", \"TERMS\", 1)\n{{\n{terms}\n}}\n");
        return Compile(workspace, "terms.asl")[36..];
    }

    /// <summary>
    /// iasl's opinion of a table, as a table: disassemble it, compile the disassembly back, and
    /// the result must be our bytes except where iasl stamps itself into the header. A field
    /// iasl misread, or AML it would encode differently, breaks the equality.
    /// </summary>
    public static string AssertRoundTrips(AcpicaWorkspace workspace, string fileName, ReadOnlySpan<byte> table)
    {
        string dsl = Disassemble(workspace, fileName, table);
        string source = Path.GetFileNameWithoutExtension(fileName) + "-again.dsl";
        workspace.WriteText(source, dsl);
        byte[] again = Compile(workspace, source);
        Assert.Equal(table.Length, again.Length);
        for (int i = 0; i < table.Length; i++)
        {
            if (!HeaderBytesIaslRewrites.Contains(i))
            {
                Assert.True(table[i] == again[i], $"{fileName}: byte {i} (0x{i:X}) is 0x{table[i]:X2} in ours, 0x{again[i]:X2} after iasl -d and iasl -on\n\n{dsl}");
            }
        }
        return dsl;
    }

    public static void AssertNoComplaints(ToolResult result)
    {
        foreach (string line in result.Lines)
        {
            Assert.False(line.Contains("Warning", StringComparison.OrdinalIgnoreCase)
                || line.Contains("Error", StringComparison.OrdinalIgnoreCase)
                || line.Contains("Exception", StringComparison.OrdinalIgnoreCase),
                $"complaint: {line}\n\n{result}");
        }
    }

    [GeneratedRegex(@"Compilation successful\. 0 Errors, 0 Warnings")]
    private static partial Regex CompiledCleanly();
}
