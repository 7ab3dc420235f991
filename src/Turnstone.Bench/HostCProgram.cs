using System.Diagnostics;

namespace Turnstone.Bench;

/// <summary>
/// A C baseline embedded in this assembly (kvm_floor.c, engine_loops.c): written to a temporary
/// directory, compiled there with the host's gcc -O2, run once, and removed again, so the
/// baseline is measured in the same session as our own figures.
/// </summary>
public static class HostCProgram
{
    /// <summary>Compiles the embedded <paramref name="resource"/> and returns what it printed for <paramref name="arguments"/>.</summary>
    /// <param name="what">Names the program in errors ("the C floor").</param>
    public static string CompileAndRun(string resource, IReadOnlyList<string> arguments, string what)
    {
        string directory = Directory.CreateTempSubdirectory("turnstone-c-").FullName;
        try
        {
            string source = Path.Combine(directory, resource);
            using (var embedded = typeof(HostCProgram).Assembly.GetManifestResourceStream(resource)
                                  ?? throw new InvalidOperationException($"{resource} is not embedded in Turnstone.Bench"))
            using (var file = File.Create(source))
            {
                embedded.CopyTo(file);
            }
            string binary = Path.Combine(directory, Path.GetFileNameWithoutExtension(resource));
            RunTool("gcc", ["-O2", "-o", binary, source], $"compiling {what} (install gcc and linux-libc-dev)");
            return RunTool(binary, arguments, $"running {what}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string RunTool(string program, IReadOnlyList<string> arguments, string what)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{what}: cannot start {program}");
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? stdout : throw new InvalidOperationException($"{what} failed ({process.ExitCode}): {stderr.Result}{stdout}");
    }
}
