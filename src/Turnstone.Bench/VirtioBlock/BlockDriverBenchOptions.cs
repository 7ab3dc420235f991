using Turnstone.Engine;

namespace Turnstone.Bench.VirtioBlock;

/// <summary>What <see cref="BlockDriverBenchmark"/> runs, and on what.</summary>
/// <param name="DriverElf">The bare-metal driver guest (images/blkdriver, BLKDRIVER): a PVH ELF.</param>
/// <param name="ScratchFile">The backing file both monitors give the guest as its virtio-blk disk; overwritten.</param>
/// <param name="GuestArguments">The driver's command line (bytes=, qd=, modes=, ...), the same for every monitor.</param>
/// <param name="Qemu">qemu-system-x86_64 to compare with, or null to run Turnstone alone.</param>
/// <param name="Direct">Both monitors bypass the host page cache (O_DIRECT; QEMU's cache=none) instead of going through it (cache=writeback).</param>
/// <param name="Engine">What runs the guest under Turnstone; QEMU's column uses the matching
/// accelerator (<see cref="BlockDriverBenchmark.QemuAccelerator"/>): TCG next to the software engine, KVM next to KVM.</param>
/// <param name="TurnstoneSynchronous">Turnstone runs the disk's requests one at a time (<c>--disk PATH,sync</c>) instead of in flight on io_uring.</param>
public sealed record BlockDriverBenchOptions(
    string DriverElf,
    string ScratchFile,
    long ScratchBytes,
    string GuestArguments,
    string? Qemu,
    bool Direct = false,
    ulong GuestMemoryBytes = 512ul << 20,
    bool TurnstoneSynchronous = false,
    EngineChoice Engine = EngineChoice.Auto)
{
    /// <summary>The caching both monitors use, in words for reports.</summary>
    public string CacheMode => Direct
        ? "direct I/O: O_DIRECT, no host page cache (QEMU cache=none)"
        : "host page cache, flushes honoured (QEMU cache=writeback)";
}
