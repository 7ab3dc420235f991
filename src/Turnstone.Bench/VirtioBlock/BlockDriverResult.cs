namespace Turnstone.Bench.VirtioBlock;

/// <summary>
/// One workload line of turnstone-blkdriver (images/blkdriver), the bare-metal virtio-blk guest
/// that runs unchanged under Turnstone and under QEMU.
/// </summary>
/// <param name="Workload">seq-write, seq-read, rand-read or rand-write.</param>
/// <param name="Mode">poll (the guest spins on the used ring) or msix (it sleeps until the interrupt).</param>
/// <param name="QueueDepth">The depth used, which the guest may have lowered from the one asked for.</param>
/// <param name="BlockBytes">Bytes per request.</param>
/// <param name="Seconds">TSC time from the first submission to the last completion (and the flush after writes).</param>
/// <param name="MegabytesPerSecond">10^6 bytes per second.</param>
/// <param name="Verify">ok or fail on reads; n/a on writes, whose data the reads check.</param>
/// <param name="Segments">Data descriptors per request.</param>
/// <param name="Kicks">Queue notifications the guest wrote: each is an exit under a VMM.</param>
/// <param name="Interrupts">MSI-X interrupts the guest took.</param>
public sealed record BlockDriverResult(
    string Workload,
    string Mode,
    int QueueDepth,
    int BlockBytes,
    long Operations,
    long Bytes,
    double Seconds,
    double MegabytesPerSecond,
    double Iops,
    string Verify,
    int Segments,
    long Kicks,
    long Interrupts);
