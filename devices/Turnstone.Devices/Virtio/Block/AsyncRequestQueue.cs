namespace Turnstone.Devices.Virtio.Block;

/// <summary>
/// The request queue with requests in flight (QEMU's and cloud-hypervisor's model): reads and writes
/// are started on an <see cref="IAsyncBlockIo"/> and returned to the used ring as they finish, in
/// whatever order, while the queue keeps being drained. Every other request runs synchronously,
/// alone: first everything in flight finishes, so a flush covers every write returned before it and
/// a direct-I/O read-modify-write of a partial block never races a write to the rest of that block.
/// </summary>
/// <remarks>
/// Each in-flight request owns a slot: its descriptor chain (refilled by the pop, so steady state
/// allocates nothing) and what its completion must check. When every slot is taken the run ends
/// without re-enabling notifications; the next completion wakes the owner, whose next run reaps
/// it and pops again. Called by one thread at a time, like every queue loop.
/// </remarks>
internal sealed class AsyncRequestQueue
{
    private readonly Virtqueue _queue;
    private readonly VirtioBlockRequestHandler _handler;
    private readonly IAsyncBlockIo _io;
    private readonly VirtqueueDescriptorChain[] _chains;
    private readonly StartedBlockRequest[] _started;
    private readonly bool[] _inFlight;
    private readonly int[] _free;
    private int _freeCount;

    public AsyncRequestQueue(Virtqueue queue, VirtioBlockRequestHandler handler, IAsyncBlockIo io, Func<VirtqueueDescriptorChain> newChain)
    {
        _queue = queue;
        _handler = handler;
        _io = io;
        int slots = Math.Max(1, Math.Min(io.Depth, queue.MaxSize));
        _chains = new VirtqueueDescriptorChain[slots];
        _started = new StartedBlockRequest[slots];
        _inFlight = new bool[slots];
        _free = new int[slots];
        for (int slot = 0; slot < slots; slot++)
        {
            _chains[slot] = newChain();
            _free[slot] = slots - 1 - slot;
        }
        _freeCount = slots;
    }

    /// <summary>Requests started and not yet returned to the guest.</summary>
    public int InFlight => _chains.Length - _freeCount;

    /// <summary>Returns what has finished, then drains the queue, starting what it can.</summary>
    public VirtqueueRunResult Run(int queueIndex)
    {
        int completed = 0;
        string? problem = Reap(ref completed);
        while (problem is null)
        {
            _queue.DisableNotifications();
            problem = StartAvailable(ref completed);
            _io.Submit();
            problem ??= Reap(ref completed);
            if (problem is not null)
            {
                break;
            }
            if (_freeCount == 0)
            {
                // Chains may be waiting, but there is no slot for them: a completion will wake us.
                break;
            }
            if (!_queue.EnableNotifications())
            {
                break;
            }
        }
        problem ??= _queue.Error is { } error ? $"queue {queueIndex}: {error}" : null;
        bool interrupt = completed > 0 && _queue.NeedsNotification();
        return new(completed, interrupt, problem is not null, problem);
    }

    /// <summary>
    /// The driver reset the device: waits for every request in flight (the host is still writing
    /// guest memory for them) and forgets them without touching the rings.
    /// </summary>
    public void Abandon()
    {
        _io.Submit();
        while (InFlight > 0)
        {
            if (_io.TryTakeCompletion(out int tag, out _))
            {
                Release(Checked(tag));
            }
            else
            {
                _io.WaitForCompletion();
            }
        }
    }

    private string? StartAvailable(ref int completed)
    {
        while (_freeCount > 0)
        {
            int slot = _free[_freeCount - 1];
            var chain = _chains[slot];
            if (!_queue.TryPopChainInto(chain))
            {
                return null;
            }
            _freeCount--;
            _inFlight[slot] = true;
            if (_handler.TryStart(chain, _io, slot, out _started[slot]))
            {
                continue;
            }
            // Runs alone: everything started before it finishes first.
            string? problem = WaitForOthers(ref completed);
            var result = problem is null ? _handler.Handle(chain) : default;
            Release(slot);
            problem ??= Finish(chain, result, ref completed);
            if (problem is not null)
            {
                return problem;
            }
        }
        return null;
    }

    /// <summary>Waits until the only request in flight is the one about to run synchronously.</summary>
    private string? WaitForOthers(ref int completed)
    {
        _io.Submit();
        while (InFlight > 1)
        {
            string? problem = Reap(ref completed);
            if (problem is not null)
            {
                return problem;
            }
            if (InFlight > 1)
            {
                _io.WaitForCompletion();
            }
        }
        return null;
    }

    /// <summary>Returns every finished request to the used ring.</summary>
    private string? Reap(ref int completed)
    {
        while (_io.TryTakeCompletion(out int tag, out long bytes))
        {
            Checked(tag);
            var chain = _chains[tag];
            var result = _handler.Complete(chain, _started[tag], bytes);
            Release(tag);
            string? problem = Finish(chain, result, ref completed);
            if (problem is not null)
            {
                return problem;
            }
        }
        return null;
    }

    private string? Finish(VirtqueueDescriptorChain chain, VirtqueueChainOutcome result, ref int completed)
    {
        if (result.NeedsReset)
        {
            return result.Problem;
        }
        if (!_queue.AddUsed(chain.HeadIndex, result.UsedLength))
        {
            return "used ring of the request queue could not be written";
        }
        completed++;
        return null;
    }

    private void Release(int slot)
    {
        _inFlight[slot] = false;
        _free[_freeCount++] = slot;
    }

    /// <summary>A tag the engine reported must be one we started: anything else is a monitor bug.</summary>
    private int Checked(int tag) =>
        (uint)tag < (uint)_chains.Length && _inFlight[tag]
            ? tag
            : throw new InvalidOperationException($"the block I/O engine completed tag {tag}, which is not in flight");
}
