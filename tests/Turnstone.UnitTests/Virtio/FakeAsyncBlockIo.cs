using Turnstone.Devices.Virtio;
using Turnstone.Devices.Virtio.Block;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Virtio;

/// <summary>
/// An <see cref="IAsyncBlockIo"/> whose requests finish only when the test says so, in the order
/// the test chooses, moving the bytes between fake guest memory and a memory disk at that moment.
/// <see cref="WaitForCompletion"/> finishes the oldest submitted request, as a real wait would
/// end with some request finishing; waiting with nothing submitted fails the test instead of hanging.
/// </summary>
public sealed class FakeAsyncBlockIo(IGuestMemory memory, MemoryBlockBackend disk, int depth = 64) : IAsyncBlockIo
{
    private readonly List<Request> _queued = [];
    private readonly Queue<(int Tag, long Result)> _completions = new();

    public sealed record Request(BlockIoDirection Direction, ulong Offset, VirtqueueSegment[] Buffers, int Tag)
    {
        public ulong Length => (ulong)Buffers.Sum(b => (long)b.Length);
    }

    public int Depth => depth;

    /// <summary>Requests for which this returns true are declined (the device must run them synchronously).</summary>
    public Func<BlockIoDirection, ulong, bool> Declines { get; set; } = (_, _) => false;

    /// <summary>Submitted and not finished, oldest first.</summary>
    public List<Request> Submitted { get; } = [];

    /// <summary>Everything that happened, in order: "start read 0x200", "finish write 0x0", ...</summary>
    public List<string> Log { get; } = [];

    public int Waits { get; private set; }

    public bool TryStart(BlockIoDirection direction, ulong diskOffset, ReadOnlySpan<VirtqueueSegment> buffers, int tag)
    {
        if (Declines(direction, diskOffset) || Submitted.Count + _queued.Count >= depth)
        {
            return false;
        }
        _queued.Add(new Request(direction, diskOffset, buffers.ToArray(), tag));
        Log.Add($"start {Name(direction)} 0x{diskOffset:x}");
        return true;
    }

    public void Submit()
    {
        Submitted.AddRange(_queued);
        _queued.Clear();
    }

    public bool TryTakeCompletion(out int tag, out long result)
    {
        bool any = _completions.TryDequeue(out var completion);
        (tag, result) = completion;
        return any;
    }

    public void WaitForCompletion()
    {
        Waits++;
        Assert.True(_completions.Count > 0 || Submitted.Count > 0, "the device waited for a completion with nothing submitted: it would hang");
        if (_completions.Count == 0)
        {
            Finish(Submitted[0]);
        }
    }

    /// <summary>Performs the transfer now and reports it complete (all bytes, unless <paramref name="result"/> says otherwise).</summary>
    public void Finish(Request request, long? result = null, bool transfer = true)
    {
        Assert.True(Submitted.Remove(request), "finishing a request that was not submitted");
        if (transfer)
        {
            ulong position = request.Offset;
            foreach (var buffer in request.Buffers)
            {
                var guest = memory.GetSpan(buffer.Address, (int)buffer.Length);
                var onDisk = disk.Contents.Slice((int)position, (int)buffer.Length);
                if (request.Direction == BlockIoDirection.Read)
                {
                    onDisk.CopyTo(guest);
                }
                else
                {
                    guest.CopyTo(onDisk);
                }
                position += buffer.Length;
            }
        }
        _completions.Enqueue((request.Tag, result ?? (long)request.Length));
        Log.Add($"finish {Name(request.Direction)} 0x{request.Offset:x}");
    }

    public void FinishAll()
    {
        while (Submitted.Count > 0)
        {
            Finish(Submitted[0]);
        }
    }

    private static string Name(BlockIoDirection direction) => direction == BlockIoDirection.Read ? "read" : "write";
}
