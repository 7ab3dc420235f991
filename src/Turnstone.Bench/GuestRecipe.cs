using System.Diagnostics;

namespace Turnstone.Bench;

/// <summary>
/// The repository's guest recipe (images/build-guest.sh), for commands run from a checkout: it
/// builds what a benchmark needs on first use and answers from its cache afterwards.
/// </summary>
public static class GuestRecipe
{
    /// <summary>The recipe above this binary (bin/Release/net10.0 inside a checkout), or null when installed elsewhere.</summary>
    public static string? Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string script = Path.Combine(directory.FullName, "images", "build-guest.sh");
            if (File.Exists(script))
            {
                return script;
            }
        }
        return null;
    }

    /// <summary>Runs the recipe for <paramref name="target"/> (progress on stderr) and returns the path it prints for <paramref name="key"/>.</summary>
    public static string Build(string target, string key, string option)
    {
        string script = Find() ?? throw new ArgumentException($"{option} is needed: this binary is not inside a Turnstone checkout, so images/build-guest.sh {target} cannot build it");
        Console.Error.WriteLine($"images/build-guest.sh {target} (cached after the first build)...");
        var start = new ProcessStartInfo(script, target) { RedirectStandardOutput = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {script}");
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} {target} failed with status {process.ExitCode} (its messages are above)");
        }
        return output.Split('\n').Select(line => line.Split('=', 2)).FirstOrDefault(parts => parts.Length == 2 && parts[0] == key)?[1]
            ?? throw new InvalidOperationException($"{script} {target} did not print {key}");
    }
}
