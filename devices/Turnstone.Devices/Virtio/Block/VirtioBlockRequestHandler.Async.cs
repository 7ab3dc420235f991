namespace Turnstone.Devices.Virtio.Block;

/// <summary>
/// The asynchronous half of the handler: a well-formed read or write is started on an
/// <see cref="IAsyncBlockIo"/> and finished by <see cref="Complete"/> when the host reports it
/// done. Only the common case goes this way; anything unusual (other request types, a malformed or
/// empty request, a range off the disk, a request the engine declines) is left to
/// <see cref="Handle"/>, which reports it exactly as before.
/// </summary>
public sealed partial class VirtioBlockRequestHandler
{
    /// <summary>Guest ranges of one request: more than this and the request runs synchronously.</summary>
    public const int MaxAsyncBuffers = 256;

    private readonly VirtqueueSegment[] _asyncBuffers = new VirtqueueSegment[MaxAsyncBuffers];

    /// <summary>
    /// Starts <paramref name="chain"/> on <paramref name="io"/> under <paramref name="tag"/> when it is
    /// a read or write the engine takes; false leaves the chain untouched for <see cref="Handle"/>.
    /// </summary>
    public bool TryStart(VirtqueueDescriptorChain chain, IAsyncBlockIo io, int tag, out StartedBlockRequest started)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(io);
        started = default;
        if (chain.Error is not null || !VirtioBlockRequestHeader.TryRead(chain, out var request, out _))
        {
            return false;
        }
        BlockIoDirection direction;
        ulong length;
        switch (request.Type)
        {
            case VirtioBlockRequestType.In when request.DataOutLength == 0:
                (direction, length) = (BlockIoDirection.Read, request.DataInLength);
                break;
            case VirtioBlockRequestType.Out when request.DataInLength == 0 && !_backend.IsReadOnly:
                (direction, length) = (BlockIoDirection.Write, request.DataOutLength);
                break;
            default:
                return false;
        }
        if (length == 0 || !TryDiskRange(request.Sector, length, out ulong offset, out _))
        {
            return false;
        }
        int count = 0;
        var ranges = direction == BlockIoDirection.Read
            ? chain.EnumerateWritable(0, length)
            : chain.EnumerateReadable(VirtioBlockProtocol.HeaderSize, length);
        foreach (var range in ranges)
        {
            if (count == _asyncBuffers.Length)
            {
                return false;
            }
            _asyncBuffers[count++] = range;
        }
        if (!io.TryStart(direction, offset, _asyncBuffers.AsSpan(0, count), tag))
        {
            return false;
        }
        started = new StartedBlockRequest(length, direction);
        return true;
    }

    /// <summary>
    /// Finishes a started request whose host I/O returned <paramref name="result"/> (bytes moved, or a
    /// negative errno). A full transfer gets status OK. Anything else (a short transfer, an error) is
    /// done again synchronously by <see cref="Handle"/>: a read or a write of the same bytes to the
    /// same place is idempotent, and that path finishes a short transfer or reports the host's error
    /// in the status and the log, as it does for every other request.
    /// </summary>
    public VirtqueueChainOutcome Complete(VirtqueueDescriptorChain chain, StartedBlockRequest started, long result)
    {
        ArgumentNullException.ThrowIfNull(chain);
        if (result < 0 || (ulong)result != started.DataLength)
        {
            return Handle(chain);
        }
        // A read wrote every data byte before the status; a write only the status.
        return Finish(chain, VirtioBlockStatus.Ok, started.Direction == BlockIoDirection.Read ? started.DataLength : 0, null);
    }
}
