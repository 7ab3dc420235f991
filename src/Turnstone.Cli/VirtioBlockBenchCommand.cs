using System.CommandLine;
using Turnstone.Bench;
using Turnstone.Bench.Boot;
using Turnstone.Bench.VirtioBlock;
using Turnstone.Firmware;
using Turnstone.Engine;
using Turnstone.Machine;
using Turnstone.Machine.Engines;

namespace Turnstone.Cli;

/// <summary>
/// <c>turnstone bench virtio-blk</c>: virtio-blk throughput through our device model. The default
/// instrument is the bare-metal driver guest (images/blkdriver), run under Turnstone and QEMU on
/// the same file; <c>--guest linux</c> measures what a Linux guest sees instead.
/// </summary>
internal static class VirtioBlockBenchCommand
{
    private enum GuestKind { Driver, Linux }

    private enum CacheChoice { Both, PageCache, Direct }

    public static Command Create()
    {
        var guest = new Option<GuestKind>("--guest") { Description = "driver: the bare-metal driver guest under Turnstone and QEMU; linux: the minimal Linux kernel with blkbench on /dev/vdb", DefaultValueFactory = _ => GuestKind.Driver };
        var driver = new Option<string?>("--driver") { Description = "driver guest ELF (default, in a checkout: built by images/build-guest.sh blkdriver); for --guest driver" };
        var qemu = new Option<string?>("--qemu") { Description = "qemu-system-x86_64 to compare with (default: the one on PATH; 'none' to skip); for --guest driver" };
        var kernel = new Option<string?>("--kernel") { Description = "kernel with virtio-pci/blk and ext4 built in (MINIMAL_KERNEL); for --guest linux" };
        var rootfs = new Option<string?>("--rootfs") { Description = "the recipe's root file system image (ROOTFS), attached read-only; for --guest linux" };
        var blkbench = new Option<string?>("--blkbench") { Description = "turnstone-blkbench for the host: the host's own figures on the same file, the ceiling (default, in a checkout: built by images/build-guest.sh blkbench)" };
        var file = new Option<string?>("--file") { Description = "backing file of the benchmark disk (default: a temporary file in /var/tmp, deleted afterwards); its contents are overwritten" };
        var overwrite = new Option<bool>("--overwrite") { Description = "allow --file to name an existing non-empty file" };
        var size = new Option<string>("--size") { Description = "benchmark disk size, whole MiB", DefaultValueFactory = _ => "256M" };
        var bytes = new Option<string>("--seq-bytes") { Description = "bytes each sequential workload moves (and the region the driver guest uses)", DefaultValueFactory = _ => "64M" };
        var random = new Option<int>("--rand-ops") { Description = "4 KiB random requests per workload", DefaultValueFactory = _ => 4000 };
        var depths = new Option<string>("--qd") { Description = "queue depths for the driver guest, 1..64", DefaultValueFactory = _ => "1,4,16,64" };
        var modes = new Option<string?>("--modes") { Description = "driver guest completion modes: poll, msix (default both)" };
        var engine = BenchEngineOption.Create("the driver guest runs on either (QEMU's column then uses -accel kvm or -accel tcg to match); so does --guest linux");
        var cache = new Option<CacheChoice>("--cache") { Description = "driver guest: measure through the host page cache, with direct I/O (O_DIRECT / QEMU cache=none), or both, reported separately", DefaultValueFactory = _ => CacheChoice.Both };
        var output = new Option<string>("--output") { Description = "directory for the driver guest's JSON results and SVG plots, one pair per caching mode", DefaultValueFactory = _ => "." };
        var command = new Command("virtio-blk",
            "virtio-blk throughput: the driver guest's workloads (sequential 1 MiB, random 4 KiB, queue depths 1-64, polling and MSI-X) under Turnstone and QEMU on the same file, " +
            "next to the host's own figures; or, with --guest linux, a Linux guest's O_DIRECT figures on /dev/vdb")
        {
            guest, driver, qemu, kernel, rootfs, blkbench, file, overwrite, size, bytes, random, depths, modes, cache, output, engine,
        };
        command.SetAction(result =>
        {
            if (!MemorySize.TryParse(result.GetValue(size)!, out ulong scratchBytes, out string? sizeError))
            {
                return RunCommand.Fail($"--size: {sizeError}");
            }
            if (!MemorySize.TryParse(result.GetValue(bytes)!, out ulong sequentialBytes, out string? bytesError))
            {
                return RunCommand.Fail($"--seq-bytes: {bytesError}");
            }
            if (result.GetValue(random) < 1)
            {
                return RunCommand.Fail("--rand-ops must be at least 1");
            }
            if (BenchEngineOption.Parse(result.GetValue(engine)!) is not { } engineChoice)
            {
                return 1;
            }
            var (engineKind, why) = MachineEngineSelection.Resolve(engineChoice, guestIsLinux: result.GetValue(guest) == GuestKind.Linux);
            Console.Error.WriteLine($"[turnstone] engine: {MachineEngineSelection.Name(engineKind)} ({why})");
            // Resolved once, so the guest runs where the line above says and QEMU's accelerator matches.
            var resolvedChoice = engineKind == EngineKind.Kvm ? EngineChoice.Kvm : EngineChoice.Soft;
            string completionModes = result.GetValue(modes) ?? "poll,msix";
            string? scratch = result.GetValue(file);
            if (scratch is not null && File.Exists(scratch) && new FileInfo(scratch).Length > 0 && !result.GetValue(overwrite))
            {
                return RunCommand.Fail($"--file '{scratch}' exists and is not empty; the benchmark overwrites it (add --overwrite)");
            }
            bool temporary = scratch is null;
            scratch ??= Path.Combine("/var/tmp", $"turnstone-bench-{Environment.ProcessId}.img");
            try
            {
                return result.GetValue(guest) == GuestKind.Linux
                    ? RunLinux(Require(result.GetValue(kernel), "--kernel"), Require(result.GetValue(rootfs), "--rootfs"), Require(result.GetValue(blkbench), "--blkbench"),
                        scratch, (long)scratchBytes, (long)sequentialBytes, result.GetValue(random), resolvedChoice)
                    : RunDriver(result.GetValue(driver) ?? GuestRecipe.Build("blkdriver", "BLKDRIVER", "--driver"),
                        result.GetValue(blkbench) ?? (GuestRecipe.Find() is null ? null : GuestRecipe.Build("blkbench", "BLKBENCH", "--blkbench")),
                        ResolveQemu(result.GetValue(qemu)), scratch, (long)scratchBytes,
                        $"bytes={sequentialBytes >> 20}M qd={result.GetValue(depths)} modes={completionModes} rand_ops={result.GetValue(random)}",
                        (long)sequentialBytes, result.GetValue(random), result.GetValue(cache), result.GetValue(output)!, resolvedChoice);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or IOException or BootImageException or Hypervisor.KvmException)
            {
                return RunCommand.Fail(e.Message);
            }
            finally
            {
                if (temporary)
                {
                    File.Delete(scratch);
                }
            }
        });
        return command;
    }

    private static string Require(string? value, string option) =>
        value ?? throw new ArgumentException($"{option} is needed for this --guest");

    /// <summary>The QEMU to compare with: as given, 'none' for none, else qemu-system-x86_64 from PATH if there is one.</summary>
    internal static string? ResolveQemu(string? given)
    {
        if (given == "none")
        {
            Console.Error.WriteLine("--qemu none: Turnstone alone");
            return null;
        }
        if (given is not null)
        {
            return given;
        }
        string? found = BootBenchInputs.FindOnPath("qemu-system-x86_64", Environment.GetEnvironmentVariable("PATH"));
        if (found is null)
        {
            Console.Error.WriteLine("no QEMU found (install qemu-system-x86 or give --qemu): Turnstone alone");
        }
        return found;
    }

    private static int RunDriver(string driverElf, string? blkbench, string? qemu, string scratch, long scratchBytes, string guestArguments,
        long sequentialBytes, int randomReads, CacheChoice cache, string outputDirectory, EngineChoice engine)
    {
        IReadOnlyList<VirtioBlockBenchResult>? ceiling = null;
        if (blkbench is not null)
        {
            BlockDriverBenchmark.PrepareScratch(scratch, scratchBytes);
            Console.Error.WriteLine("measuring the host on the same file (O_DIRECT, synchronous)...");
            ceiling = VirtioBlockBenchParser.Parse(VirtioBlockBenchmark.RunHost(blkbench,
                ["--size", $"{scratchBytes >> 20}M", "--seq-bytes", $"{sequentialBytes >> 20}M", "--rand-ops", randomReads.ToString(), scratch]));
        }
        Directory.CreateDirectory(outputDirectory);
        bool[] directModes = cache switch { CacheChoice.PageCache => [false], CacheChoice.Direct => [true], _ => [false, true] };
        foreach (bool direct in directModes)
        {
            var options = new BlockDriverBenchOptions(driverElf, scratch, scratchBytes, guestArguments, qemu, direct, Engine: engine);
            RunDriverOnce(options, ceiling, outputDirectory);
        }
        return 0;
    }

    /// <summary>One caching mode: Turnstone, then QEMU, then the table and the files named after the mode.</summary>
    private static void RunDriverOnce(BlockDriverBenchOptions options, IReadOnlyList<VirtioBlockBenchResult>? ceiling, string outputDirectory)
    {
        Console.Error.WriteLine($"[{options.CacheMode}] running the driver guest under Turnstone ({options.GuestArguments})...");
        var ours = BlockDriverBenchmark.RunTurnstone(options);
        if (!ours.Succeeded)
        {
            throw new InvalidOperationException($"{ours.Problem}\n{ours.Transcript}");
        }
        var turnstone = BlockDriverParser.Parse(ours.Transcript);

        IReadOnlyList<BlockDriverResult>? peer = null;
        string? accelerator = null;
        if (options.Qemu is { } qemu)
        {
            accelerator = BlockDriverBenchmark.QemuAccelerator(options.Engine == EngineChoice.Kvm ? EngineKind.Kvm : EngineKind.Software);
            Console.Error.WriteLine($"[{options.CacheMode}] running the same guest under {qemu} with -accel {accelerator}...");
            var theirs = BlockDriverBenchmark.RunQemu(options, accelerator);
            if (theirs.Succeeded)
            {
                peer = BlockDriverParser.Parse(theirs.Transcript);
            }
            else
            {
                Console.Error.WriteLine($"QEMU run failed, reported without it: {theirs.Problem}");
            }
        }

        var metadata = new BlockDriverReportMetadata(MachineDescription(), options.ScratchFile, options.CacheMode, BlockDriverBenchmark.QueueSize, DateTimeOffset.Now,
            ours.Accelerator, peer is null ? null : accelerator);
        string name = options.Direct ? "virtio-blk-bench-direct" : "virtio-blk-bench-pagecache";
        string json = Path.Combine(outputDirectory, name + ".json");
        string svg = Path.Combine(outputDirectory, name + ".svg");
        File.WriteAllText(json, BlockDriverReport.Json(metadata, turnstone, peer, ceiling));
        File.WriteAllText(svg, BlockDriverReport.Svg(turnstone, peer, metadata));
        Console.WriteLine($"== {options.CacheMode} ==");
        Console.WriteLine($"Turnstone on the {(ours.Accelerator == "kvm" ? "KVM engine" : "software engine (soft)")}; " +
                          (peer is null ? "QEMU not run" : $"QEMU with -accel {accelerator}"));
        Console.WriteLine(BlockDriverReport.Table(turnstone, peer, ceiling));
        Console.WriteLine($"(raw results: {json}; plot: {svg}; Turnstone guest run {ours.WallTime.TotalSeconds:F1} s: {ours.Summary})\n");
    }

    private static string MachineDescription()
    {
        string cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        return $"{Environment.ProcessorCount} cores, {cpu}, {Environment.OSVersion}";
    }

    private static int RunLinux(string kernel, string rootfs, string blkbench, string scratch, long scratchBytes, long sequentialBytes, int randomReads,
        EngineChoice engine)
    {
        var options = new VirtioBlockBenchOptions(kernel, rootfs, blkbench, scratch, scratchBytes, sequentialBytes, randomReads, engine);
        var outcome = VirtioBlockBenchmark.Run(options, message => Console.Error.WriteLine($"{message}..."));
        Console.WriteLine(VirtioBlockBenchReport.Build(outcome.Guest, outcome.Host));
        if (outcome.Machine is { } summary)
        {
            Console.WriteLine($"(guest run: {summary})");
        }
        return 0;
    }
}
