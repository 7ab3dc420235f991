namespace Turnstone.Cli;

/// <summary>How the boot benchmarks hand over their results: NAME.json (every sample) and NAME.svg
/// in the output directory, the table on stdout, then where the files went.</summary>
internal static class BenchResultFiles
{
    public static void Write(string directory, string name, string json, string svg, string table)
    {
        Directory.CreateDirectory(directory);
        string jsonPath = Path.Combine(directory, name + ".json");
        File.WriteAllText(jsonPath, json);
        string svgPath = Path.Combine(directory, name + ".svg");
        File.WriteAllText(svgPath, svg);
        Console.WriteLine(table);
        Console.WriteLine($"(raw results: {jsonPath}; plot: {svgPath})");
    }
}
