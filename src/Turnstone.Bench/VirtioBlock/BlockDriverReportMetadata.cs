namespace Turnstone.Bench.VirtioBlock;

/// <summary>What a turnstone-blkdriver comparison ran on, saved with its figures so that a JSON
/// file read months later still says what it measured.</summary>
/// <param name="Machine">The host: CPU model, kernel, anything that moves the figures.</param>
/// <param name="BackingFile">The file or device behind the guest's disk.</param>
/// <param name="CacheMode">How the monitors opened it (e.g. none for O_DIRECT, writeback).</param>
/// <param name="QueueSize">The virtqueue size the device offered.</param>
/// <param name="TurnstoneEngine">What ran the guest under Turnstone: kvm or soft (the software engine).</param>
/// <param name="QemuAccelerator">QEMU's accelerator (kvm or tcg), null when QEMU did not run.</param>
public sealed record BlockDriverReportMetadata(
    string Machine,
    string BackingFile,
    string CacheMode,
    int QueueSize,
    DateTimeOffset Date,
    string TurnstoneEngine = "kvm",
    string? QemuAccelerator = null);

