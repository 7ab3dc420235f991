using System.Diagnostics;
using System.Text;
using Turnstone.Engine;
using Turnstone.Machine;

namespace Turnstone.Bench.VirtioBlock;

/// <summary>
/// <c>turnstone bench virtio-blk</c>: boots the minimal kernel with the rootfs read-only on
/// /dev/vda and the scratch file on /dev/vdb, lets blkbench run sequential O_DIRECT writes and
/// reads of 1 MiB and 4 KiB random reads there, then runs the same program with the same
/// arguments on the host against the same file: the ceiling, measured in the same run.
/// </summary>
public static class VirtioBlockBenchmark
{

    public static VirtioBlockBenchOutcome Run(VirtioBlockBenchOptions options, Action<string> progress)
    {
        if (options.ScratchBytes < 1 << 20 || options.ScratchBytes % (1 << 20) != 0)
        {
            throw new ArgumentException("the scratch disk must be a whole number of MiB, at least 1 MiB");
        }
        BlockDriverBenchmark.PrepareScratch(options.ScratchFile, options.ScratchBytes);
        string[] workloadArguments =
        [
            "--size", Mebibytes(options.ScratchBytes), "--seq-bytes", Mebibytes(options.SequentialBytes), "--rand-ops", options.RandomReads.ToString(),
        ];

        progress("booting the guest (minimal kernel, rootfs on /dev/vda, scratch on /dev/vdb); on hosts that emulate guest kernel code this takes minutes");
        var console = new MemoryStream();
        var machine = LinuxMachine.Prepare(new MachineConfig
        {
            KernelPath = options.Kernel,
            Disks = [new DiskConfig(options.RootFileSystem, ReadOnly: true), new DiskConfig(options.ScratchFile)],
            // The engine's own default line (console, reboot, its workarounds or its TSC frequency) plus the benchmark's.
            CommandLine = $"{MachineConfig.DefaultCommandLineFor(options.Engine == EngineChoice.Kvm ? EngineKind.Kvm : EngineKind.Software)} root=/dev/vda ro turnstone.action=bench " +
                          $"turnstone.bench_size={workloadArguments[1]} turnstone.bench_seq_bytes={workloadArguments[3]} turnstone.bench_rand_ops={workloadArguments[5]}",
            ConsoleOutput = console,
            Engine = options.Engine,
        });
        var exit = machine.Run();
        string transcript = Encoding.UTF8.GetString(console.ToArray());
        if (exit.Kind != MachineExitKind.PowerOff)
        {
            throw new InvalidOperationException($"the benchmark guest did not power off: {exit.Reason}\n{Tail(transcript)}");
        }
        var guest = VirtioBlockBenchParser.Parse(transcript);

        progress("measuring the host on the same file with the same arguments");
        var host = VirtioBlockBenchParser.Parse(RunHost(options.HostBlkbench, [.. workloadArguments, options.ScratchFile]));
        return new VirtioBlockBenchOutcome(guest, host, machine.Summary);
    }

    private static string Mebibytes(long bytes) => $"{bytes >> 20}M";

    /// <summary>turnstone-blkbench on the host: the ceiling, on the same file with the same arguments.</summary>
    public static string RunHost(string blkbench, string[] arguments)
    {
        var start = new ProcessStartInfo(blkbench, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {blkbench}");
        var errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{blkbench} on the host failed ({process.ExitCode}): {errors.Result.Trim()}");
        }
        return output + errors.Result;
    }

    private static string Tail(string transcript)
    {
        var lines = transcript.Split('\n');
        return string.Join('\n', lines[Math.Max(0, lines.Length - 30)..]);
    }
}
