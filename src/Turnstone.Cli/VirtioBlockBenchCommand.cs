using System.CommandLine;
using Turnstone.Firmware;
using Turnstone.Machine;
using Turnstone.Machine.Benchmarks;

namespace Turnstone.Cli;

/// <summary><c>turnstone bench virtio-blk</c>: guest block throughput through our virtio-blk next to the host's on the same file.</summary>
internal static class VirtioBlockBenchCommand
{
    public static Command Create()
    {
        var kernel = new Option<string>("--kernel") { Description = "kernel with virtio-pci/blk and ext4 built in (images/build-guest.sh minimal: MINIMAL_KERNEL)", Required = true };
        var rootfs = new Option<string>("--rootfs") { Description = "the recipe's root file system image (ROOTFS); attached read-only", Required = true };
        var blkbench = new Option<string>("--blkbench") { Description = "turnstone-blkbench for the host (BLKBENCH), to measure the ceiling", Required = true };
        var file = new Option<string?>("--file") { Description = "scratch file behind the guest's /dev/vdb (default: a temporary file in /var/tmp, deleted afterwards); its contents are overwritten" };
        var overwrite = new Option<bool>("--overwrite") { Description = "allow --file to name an existing non-empty file" };
        var size = new Option<string>("--size") { Description = "scratch disk size, whole MiB", DefaultValueFactory = _ => "256M" };
        var sequential = new Option<string>("--seq-bytes") { Description = "bytes each sequential workload moves", DefaultValueFactory = _ => "64M" };
        var random = new Option<int>("--rand-ops") { Description = "4 KiB random reads", DefaultValueFactory = _ => 2000 };
        var command = new Command("virtio-blk",
            "Sequential O_DIRECT 1 MiB writes and reads and 4 KiB random reads on the guest's /dev/vdb, next to the host's own figures for the same file, measured in the same run")
        {
            kernel, rootfs, blkbench, file, overwrite, size, sequential, random,
        };
        command.SetAction(result =>
        {
            if (!MemorySize.TryParse(result.GetValue(size)!, out ulong scratchBytes, out string? sizeError))
            {
                return RunCommand.Fail($"--size: {sizeError}");
            }
            if (!MemorySize.TryParse(result.GetValue(sequential)!, out ulong sequentialBytes, out string? sequentialError))
            {
                return RunCommand.Fail($"--seq-bytes: {sequentialError}");
            }
            if (result.GetValue(random) < 1)
            {
                return RunCommand.Fail("--rand-ops must be at least 1");
            }
            string? scratch = result.GetValue(file);
            if (scratch is not null && File.Exists(scratch) && new FileInfo(scratch).Length > 0 && !result.GetValue(overwrite))
            {
                return RunCommand.Fail($"--file '{scratch}' exists and is not empty; the benchmark overwrites it (add --overwrite)");
            }
            bool temporary = scratch is null;
            scratch ??= Path.Combine("/var/tmp", $"turnstone-bench-{Environment.ProcessId}.img");
            try
            {
                var options = new VirtioBlockBenchOptions(result.GetValue(kernel)!, result.GetValue(rootfs)!, result.GetValue(blkbench)!, scratch,
                    (long)scratchBytes, (long)sequentialBytes, result.GetValue(random));
                var outcome = VirtioBlockBenchmark.Run(options, message => Console.Error.WriteLine($"{message}..."));
                Console.WriteLine(VirtioBlockBenchReport.Build(outcome.Guest, outcome.Host));
                if (outcome.Machine is { } summary)
                {
                    Console.WriteLine($"(guest run: {summary})");
                }
                return 0;
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
}
