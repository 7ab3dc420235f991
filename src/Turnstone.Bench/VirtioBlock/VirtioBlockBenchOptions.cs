using Turnstone.Engine;

namespace Turnstone.Bench.VirtioBlock;

/// <summary>What <see cref="VirtioBlockBenchmark.Run"/> boots and measures.</summary>
/// <param name="Kernel">A kernel with virtio-pci, virtio-blk and ext4 built in (the recipe's minimal kernel).</param>
/// <param name="RootFileSystem">The recipe's rootfs, whose init runs turnstone-blkbench for turnstone.action=bench; attached read-only.</param>
/// <param name="HostBlkbench">The same turnstone-blkbench built for the host, to measure the ceiling.</param>
/// <param name="ScratchFile">The file behind the guest's /dev/vdb; the benchmark overwrites it.</param>
/// <param name="Engine">What runs the guest: KVM or the software engine (resolved by the caller, not auto).</param>
public sealed record VirtioBlockBenchOptions(
    string Kernel,
    string RootFileSystem,
    string HostBlkbench,
    string ScratchFile,
    long ScratchBytes,
    long SequentialBytes,
    int RandomReads,
    EngineChoice Engine = EngineChoice.Auto);
