namespace Turnstone.Devices.Virtio.Block;

/// <summary>
/// Asynchronous reads and writes between a disk and guest memory, so a virtio-blk device can keep
/// many requests in flight instead of waiting for each (io_uring, from Turnstone.HostIo, which the
/// machine plugs in; a fake in tests). One thread at a time calls it: the queue's owner.
/// </summary>
/// <remarks>
/// The device only starts well-formed data requests here, already checked against the disk and the
/// queue; everything else, and anything this engine declines, runs synchronously on the
/// <see cref="IBlockBackend"/> after every started request has finished. Completions arrive in any
/// order; the implementation wakes the queue's owner when one does (the machine signals the queue's
/// notification eventfd).
/// </remarks>
public interface IAsyncBlockIo
{
    /// <summary>How many requests may be in flight at once.</summary>
    int Depth { get; }

    /// <summary>
    /// Queues a transfer of <paramref name="buffers"/> (guest ranges, in order) to or from the disk at
    /// <paramref name="diskOffset"/>; its completion carries <paramref name="tag"/>. Returns false,
    /// queuing nothing, when this engine cannot do the request asynchronously (alignment, a buffer
    /// it cannot reach, no room): the device then does it synchronously.
    /// </summary>
    bool TryStart(BlockIoDirection direction, ulong diskOffset, ReadOnlySpan<VirtqueueSegment> buffers, int tag);

    /// <summary>Hands the queued requests to the host, in one go.</summary>
    void Submit();

    /// <summary>Takes a finished request without blocking: its tag, and the bytes moved or a negative errno.</summary>
    bool TryTakeCompletion(out int tag, out long result);

    /// <summary>Blocks until at least one submitted request has finished.</summary>
    void WaitForCompletion();
}
