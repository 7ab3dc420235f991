using System.Diagnostics;

namespace Turnstone.Bench.Engine;

/// <summary>
/// Boots a <see cref="LoopGuest"/> under <c>qemu-system-x86_64 -accel tcg</c> as a PVH ELF and
/// times the process by wall clock. The guest ends through isa-debug-exit, so QEMU exits with
/// status 1 ((0 &lt;&lt; 1) | 1) as soon as the loop is done. QEMU's own start-up and teardown are
/// measured with the empty guest (same entry, same exit, no loop) and subtracted by the caller.
/// </summary>
public static class QemuTcgLoopRunner
{
    private const int SuccessStatus = 1;

    /// <summary>The arguments, apart from the kernel: the smallest machine that boots a PVH ELF.</summary>
    public static IReadOnlyList<string> Arguments(string kernel) =>
    [
        "-accel", "tcg", "-M", "pc", "-m", $"{LoopGuest.MemoryBytes * 2 >> 20}M", "-nodefaults", "-display", "none", "-no-reboot",
        "-device", $"isa-debug-exit,iobase=0x{LoopGuest.ExitPort:x},iosize=0x04", "-kernel", kernel,
    ];

    /// <summary>Wall seconds of one QEMU process running <paramref name="guest"/>.</summary>
    public static double Run(string qemu, LoopGuest guest)
    {
        string kernel = Path.Combine(Path.GetTempPath(), $"turnstone-loop-{Environment.ProcessId}-{guest.Kind}-{guest.Iterations}.elf");
        File.WriteAllBytes(kernel, guest.ToPvhElf());
        try
        {
            var start = new ProcessStartInfo(qemu) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string argument in Arguments(kernel))
            {
                start.ArgumentList.Add(argument);
            }
            var clock = Stopwatch.StartNew();
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {qemu}");
            var errors = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"{qemu} did not finish the {guest.Kind} loop within 2 minutes");
            }
            double seconds = clock.Elapsed.TotalSeconds;
            if (process.ExitCode != SuccessStatus)
            {
                throw new InvalidOperationException($"{qemu} ended the {guest.Kind} loop guest with status {process.ExitCode}, not {SuccessStatus} (isa-debug-exit): {errors.Result.Trim()}{output.Result.Trim()}");
            }
            return seconds;
        }
        finally
        {
            File.Delete(kernel);
        }
    }
}
