namespace Turnstone.Bench.Boot;

/// <summary>The checks on <c>bench boot</c>'s options, made before anything boots, each failure a
/// message naming the option.</summary>
public static class BootBenchInputs
{
    public const string None = "none";

    /// <summary>
    /// The kernels to time: each option's path, or none for <c>none</c> or null (not given and no
    /// checkout to build it in). Null, with <paramref name="error"/>, when a path does not exist or
    /// no kernel is left.
    /// </summary>
    public static IReadOnlyList<BootBenchKernel>? Kernels(string? minimal, string? cloud, out string? error)
    {
        var kernels = new List<BootBenchKernel>();
        foreach (var (name, option, path) in new[] { (BootBenchKernel.Minimal, "--minimal-kernel", minimal), (BootBenchKernel.Cloud, "--cloud-kernel", cloud) })
        {
            if (path is null || path == None)
            {
                continue;
            }
            if (MissingFile(option, path) is { } missing)
            {
                error = missing;
                return null;
            }
            kernels.Add(new BootBenchKernel(name, Path.GetFullPath(path)));
        }
        error = kernels.Count == 0
            ? "no kernel to boot: give --minimal-kernel PATH and/or --cloud-kernel PATH (outside a checkout there are no defaults; 'none' leaves one out)"
            : null;
        return error is null ? kernels : null;
    }

    /// <summary>Null when <paramref name="path"/> is a file, else the message for <paramref name="option"/>.</summary>
    public static string? MissingFile(string option, string? path) => path switch
    {
        null => $"{option} is needed (outside a checkout there is no default)",
        _ when Directory.Exists(path) => $"{option} '{path}' is a directory, not a file",
        _ when !File.Exists(path) => $"{option} '{path}' does not exist",
        _ => null,
    };

    /// <summary>Null when the counts make sense, else why not.</summary>
    public static string? CheckCounts(int repeats, int timeoutSeconds) =>
        repeats < 1 ? "--repeats must be at least 1"
        : timeoutSeconds < 1 ? "--timeout must be at least 1 second"
        : null;

    /// <summary>The QEMU to run, or null with <paramref name="missing"/> saying why the column is not
    /// run (<c>--qemu none</c>, none on PATH); an explicit path that is not there is an error. A bare
    /// program name (no '/') is looked for on PATH, as a shell would.</summary>
    public static string? Qemu(string? given, string? pathVariable, out string missing, out string? error)
    {
        error = null;
        missing = "";
        if (given == None)
        {
            missing = "not run: --qemu none";
            return null;
        }
        if (given is not null && !given.Contains('/'))
        {
            string? onPath = FindOnPath(given, pathVariable);
            error = onPath is null ? $"--qemu '{given}' is not a file here and not a program on PATH" : null;
            return onPath;
        }
        if (given is not null)
        {
            error = MissingFile("--qemu", given);
            return error is null ? given : null;
        }
        string? found = FindOnPath("qemu-system-x86_64", pathVariable);
        if (found is null)
        {
            missing = "not run: no qemu-system-x86_64 on PATH (install qemu-system-x86, or give --qemu PATH)";
        }
        return found;
    }

    /// <summary>The first file called <paramref name="program"/> in the directories of <paramref name="pathVariable"/>, or null.</summary>
    public static string? FindOnPath(string program, string? pathVariable) =>
        (pathVariable ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);
}
