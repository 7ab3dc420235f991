using System.Collections.Concurrent;
using System.Diagnostics;

namespace Turnstone.IntegrationTests.SystemGuests;

/// <summary>
/// What a system-level guest prints on COM1 under <c>qemu-system-x86_64 -accel tcg</c>, QEMU's
/// software CPU: the reference our engines' output is compared with. Each guest runs once per
/// test run. QEMU is required (.ci/run installs qemu-system-x86); without it the comparison fails
/// with that reason rather than passing on nothing.
/// </summary>
public static class QemuTcgReference
{
    private static readonly ConcurrentDictionary<string, Lazy<string>> Outputs = new();

    public static string? FindQemu() => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(directory => Path.Combine(directory, "qemu-system-x86_64")).FirstOrDefault(File.Exists);

    public static string Output(string name, Func<byte[]> build) => Outputs.GetOrAdd(name, _ => new Lazy<string>(() => Run(name, build()))).Value;

    private static string Run(string name, byte[] elf)
    {
        string qemu = FindQemu() ?? throw new InvalidOperationException("qemu-system-x86_64 is not on PATH: the system-level guests are compared with QEMU TCG (apt-get install qemu-system-x86)");
        var directory = Directory.CreateTempSubdirectory($"turnstone-{name}-");
        try
        {
            string kernel = Path.Combine(directory.FullName, "guest.elf"), serial = Path.Combine(directory.FullName, "com1.txt");
            File.WriteAllBytes(kernel, elf);
            var start = new ProcessStartInfo(qemu) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string argument in new[] { "-accel", "tcg", "-M", "pc", "-m", "64M", "-nodefaults", "-display", "none", "-no-reboot",
                         "-serial", $"file:{serial}", "-kernel", kernel })
            {
                start.ArgumentList.Add(argument);
            }
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {qemu}");
            var errors = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(1)))
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"QEMU TCG did not finish the {name} guest within a minute; COM1 so far:\n{ReadIfExists(serial)}");
            }
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"QEMU TCG ended the {name} guest with status {process.ExitCode}: {errors.Result.Trim()}");
            }
            return ReadIfExists(serial);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static string ReadIfExists(string path) => File.Exists(path) ? File.ReadAllText(path) : "";
}
