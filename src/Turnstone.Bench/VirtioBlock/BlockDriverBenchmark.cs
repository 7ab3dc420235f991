using System.Diagnostics;
using System.Text;
using Turnstone.Engine;
using Turnstone.Machine;
using Turnstone.Machine.Engines;

namespace Turnstone.Bench.VirtioBlock;

/// <summary>
/// Runs the driver guest (issue 5's instrument) on the same backing file under Turnstone and,
/// when asked, under QEMU with the accelerator that matches Turnstone's engine (KVM next to KVM,
/// TCG next to the software engine): the same ELF, the same arguments, the same queue size (256)
/// and the same caching (<see cref="BlockDriverBenchOptions.Direct"/>). The guest's timed loop runs at CPL 3, so on hosts that
/// emulate guest kernel code the figures are the monitors' device models, not the emulator's.
/// </summary>
public static class BlockDriverBenchmark
{
    /// <summary>QEMU's virtio-blk queue size, set explicitly so a QEMU release changing its default cannot skew the comparison.</summary>
    public const int QueueSize = 256;

    private static readonly TimeSpan GuestTimeout = TimeSpan.FromMinutes(15);

    public static BlockDriverRun RunTurnstone(BlockDriverBenchOptions options)
    {
        PrepareScratch(options.ScratchFile, options.ScratchBytes);
        var console = new MemoryStream();
        var clock = Stopwatch.StartNew();
        var machine = LinuxMachine.Prepare(new MachineConfig
        {
            KernelPath = options.DriverElf,
            MemoryBytes = options.GuestMemoryBytes,
            Disks = [new DiskConfig(options.ScratchFile, Direct: options.Direct, Synchronous: options.TurnstoneSynchronous)],
            CommandLine = options.GuestArguments,
            ConsoleOutput = console,
            Engine = options.Engine,
        });
        using var timeout = new CancellationTokenSource(GuestTimeout);
        var exit = machine.Run(timeout.Token);
        string transcript = Encoding.UTF8.GetString(console.ToArray());
        string? problem = exit.Kind == MachineExitKind.PowerOff ? null
            : $"the driver guest did not power off under Turnstone: {exit.Reason}{(exit.Report is null ? "" : "\n" + exit.Report)}";
        return new BlockDriverRun("Turnstone", transcript, clock.Elapsed, problem, MachineEngineSelection.Name(machine.Engine))
        {
            Summary = machine.Summary,
        };
    }

    /// <summary>QEMU's accelerator next to Turnstone's <paramref name="engine"/>: KVM next to KVM, TCG (QEMU's software CPU) next to the software engine.</summary>
    public static string QemuAccelerator(EngineKind engine) => engine == EngineKind.Kvm ? "kvm" : "tcg";

    /// <summary>
    /// The same guest under QEMU with <paramref name="accelerator"/> (kvm or tcg, see
    /// <see cref="QemuAccelerator"/>). Under KVM, <c>-cpu host,-arch-capabilities</c>: on nested
    /// hosts QEMU aborts on the ARCH_CAPABILITIES MSR that plain <c>-cpu host</c> asks for; under
    /// TCG, <c>-cpu max</c>, everything QEMU's software CPU models.
    /// <c>disable-legacy=on</c> presents the modern-only 1af4:1042 function, as Turnstone does.
    /// </summary>
    public static BlockDriverRun RunQemu(BlockDriverBenchOptions options, string accelerator = "kvm")
    {
        string qemu = options.Qemu ?? throw new InvalidOperationException("no QEMU given");
        PrepareScratch(options.ScratchFile, options.ScratchBytes);
        string cpu = accelerator == "kvm" ? "host,-arch-capabilities" : "max";
        string[] arguments =
        [
            "-M", "q35", "-accel", accelerator, "-cpu", cpu, "-m", $"{options.GuestMemoryBytes >> 20}",
            "-kernel", options.DriverElf, "-append", options.GuestArguments,
            "-drive", $"file={options.ScratchFile},if=none,id=scratch,format=raw,cache={(options.Direct ? "none" : "writeback")}",
            "-device", $"virtio-blk-pci,drive=scratch,disable-legacy=on,queue-size={QueueSize}",
            "-serial", "stdio", "-display", "none", "-monitor", "none", "-no-reboot", "-nodefaults",
        ];
        var clock = Stopwatch.StartNew();
        var start = new ProcessStartInfo(qemu, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {qemu}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new BlockDriverRun("QEMU", "", clock.Elapsed, $"cannot start {qemu}: {e.Message}", accelerator);
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(GuestTimeout))
            {
                process.Kill(entireProcessTree: true);
                return new BlockDriverRun("QEMU", output.Result, clock.Elapsed, $"QEMU did not finish within {GuestTimeout.TotalMinutes} minutes", accelerator);
            }
            string problem = process.ExitCode == 0 ? null! : $"{qemu} exited with status {process.ExitCode}: {errors.Result.Trim()}";
            return new BlockDriverRun("QEMU", output.Result, clock.Elapsed, problem, accelerator);
        }
    }

    /// <summary>
    /// Makes the scratch file at least <paramref name="bytes"/> long, every block of it allocated and
    /// on disk; its contents are the benchmark's. A sparse or freshly extended file would make the
    /// first monitor to write it pay the file system's block allocation (and its reads of holes cost
    /// nothing), which showed up here as 2-4x swings between runs that depended only on who went first.
    /// </summary>
    public static void PrepareScratch(string path, long bytes)
    {
        using var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        if (file.Length < bytes)
        {
            file.SetLength(bytes);
        }
        if (AllocatedBytes(path) >= file.Length)
        {
            return;
        }
        var chunk = new byte[1 << 20];
        Array.Fill(chunk, (byte)0xA5);
        for (long offset = 0; offset < file.Length; offset += chunk.Length)
        {
            RandomAccess.Write(file.SafeFileHandle, chunk.AsSpan(0, (int)Math.Min(chunk.Length, file.Length - offset)), offset);
        }
        file.Flush(flushToDisk: true);
    }

    /// <summary>Bytes of <paramref name="path"/> the file system has allocated (st_blocks), from stat(1).</summary>
    private static long AllocatedBytes(string path)
    {
        var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%b %B", path]) { RedirectStandardOutput = true })!;
        string[] words = stat.StandardOutput.ReadToEnd().Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        stat.WaitForExit();
        return stat.ExitCode == 0 && words.Length == 2 ? long.Parse(words[0]) * long.Parse(words[1]) : 0;
    }
}
