using Turnstone.Bench.VirtioBlock;
using Turnstone.Engine;
using Xunit.Abstractions;

namespace Turnstone.IntegrationTests;

/// <summary>
/// The bare-metal driver guest of <c>turnstone bench virtio-blk</c>, booted through PVH on a
/// scratch disk: a short run of every workload in both completion modes. The guest verifies on
/// every read that the disk holds what it wrote, so a device that loses or misplaces data fails
/// here, not only in the benchmark. Run through the page cache and with direct I/O, with requests
/// in flight on io_uring (out-of-order completion) and one at a time.
/// </summary>
[Trait("Category", "Integration")]
public sealed class BlockDriverTests(ITestOutputHelper output) : IDisposable
{
    // Under /var/tmp, on disk: O_DIRECT needs a file system that supports it, which tmpfs did not before Linux 6.6.
    private readonly string _directory = Directory.CreateDirectory(Path.Combine("/var/tmp", $"turnstone-blkdriver-{Guid.NewGuid():N}")).FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [KvmTheory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Every_workload_completes_verified_with_sane_figures_in_both_modes(bool direct, bool synchronous)
    {
        var options = new BlockDriverBenchOptions(GuestImages.BlockDriver, Path.Combine(_directory, "scratch.img"), 64L << 20,
            "bytes=16M qd=1,16 modes=poll,msix rand_ops=200", Qemu: null, Direct: direct, TurnstoneSynchronous: synchronous);

        var run = BlockDriverBenchmark.RunTurnstone(options);
        output.WriteLine(run.Transcript);

        Assert.True(run.Succeeded, run.Problem);
        var results = BlockDriverParser.Parse(run.Transcript);
        string[] workloads = ["seq-write", "seq-read", "rand-read", "rand-write"];
        Assert.Equal(
            from mode in new[] { "poll", "msix" } from workload in workloads from qd in new[] { 1, 16 } select (workload, mode, qd),
            results.Select(r => (r.Workload, r.Mode, r.QueueDepth)));
        foreach (var result in results)
        {
            Assert.True(result.Seconds > 0 && result.MegabytesPerSecond > 0 && result.Iops > 0, $"{result}");
            Assert.Equal(result.Operations * result.BlockBytes, result.Bytes);
            Assert.Equal(result.Workload.EndsWith("read") ? "ok" : "n/a", result.Verify);
            // Polling takes no interrupts; MSI-X mode takes at least one per batch it waited for.
            Assert.True(result.Mode == "poll" ? result.Interrupts == 0 : result.Interrupts > 0, $"{result}");
        }
    }

    /// <summary>
    /// The driver guest on the software engine, polling and with MSI-X through our local APIC:
    /// every workload at small sizes, verified, so a device write that
    /// left stale decoded code or a lost exit would show. When QEMU is on PATH its column runs the
    /// same guest with -accel tcg, as <c>bench virtio-blk --engine soft</c> does, and must give the same rows.
    /// </summary>
    [Fact]
    public void The_driver_guest_runs_every_workload_verified_on_the_software_engine()
    {
        var options = new BlockDriverBenchOptions(GuestImages.BlockDriver, Path.Combine(_directory, "scratch.img"), 16L << 20,
            "bytes=4M qd=1,4 modes=poll,msix rand_ops=50", Qemu: null, Engine: EngineChoice.Soft);

        var run = BlockDriverBenchmark.RunTurnstone(options);
        output.WriteLine($"{run.Summary}\n{run.Transcript}");

        Assert.True(run.Succeeded, run.Problem);
        Assert.Equal("soft", run.Accelerator);
        Assert.Equal(EngineKind.Software, run.Summary!.Engine);
        Assert.True(run.Summary.InstructionsRetired > 0);
        var results = BlockDriverParser.Parse(run.Transcript);
        string[] workloads = ["seq-write", "seq-read", "rand-read", "rand-write"];
        Assert.Equal(
            from mode in new[] { "poll", "msix" } from workload in workloads from qd in new[] { 1, 4 } select (workload, mode, qd),
            results.Select(r => (r.Workload, r.Mode, r.QueueDepth)));
        foreach (var result in results)
        {
            Assert.True(result.Seconds > 0 && result.MegabytesPerSecond > 0 && result.Iops > 0, $"{result}");
            Assert.Equal(result.Operations * result.BlockBytes, result.Bytes);
            Assert.Equal(result.Workload.EndsWith("read") ? "ok" : "n/a", result.Verify);
            Assert.True(result.Mode == "poll" ? result.Interrupts == 0 : result.Interrupts > 0, $"{result}");
        }

        // QEMU's column next to the software engine: the same guest under -accel tcg.
        string? qemu = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "qemu-system-x86_64")).FirstOrDefault(File.Exists);
        if (qemu is null)
        {
            output.WriteLine("no qemu-system-x86_64 on PATH: QEMU's -accel tcg column not run");
            return;
        }
        string accelerator = BlockDriverBenchmark.QemuAccelerator(run.Summary.Engine);
        Assert.Equal("tcg", accelerator);
        var theirs = BlockDriverBenchmark.RunQemu(options with { Qemu = qemu }, accelerator);
        output.WriteLine(theirs.Transcript);
        Assert.True(theirs.Succeeded, theirs.Problem);
        Assert.Equal("tcg", theirs.Accelerator);
        Assert.Equal(results.Select(r => (r.Workload, r.Mode, r.QueueDepth)),
            BlockDriverParser.Parse(theirs.Transcript).Select(r => (r.Workload, r.Mode, r.QueueDepth)));
    }
}
