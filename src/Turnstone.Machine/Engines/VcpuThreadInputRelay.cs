namespace Turnstone.Machine.Engines;

/// <summary>
/// Keyboard input for hvc0 on the software engine: the input thread leaves the bytes here and kicks
/// the vCPU, and the vCPU thread hands them to the console device before it next enters the CPU
/// (<see cref="SoftwareVcpuInterrupts.BeforeEntry"/>). The device then writes them into the guest's
/// receive buffers on the vCPU thread, where a write to guest RAM cannot race the CPU's decoded code.
/// </summary>
internal sealed class VcpuThreadInputRelay
{
    private const int Capacity = 4096;

    private readonly Lock _gate = new();
    private readonly byte[] _buffer = new byte[Capacity];
    private int _count;
    private int _pending;

    /// <summary>What takes the bytes on the vCPU thread (the console's EnqueueInput); returns how many it took.</summary>
    public Func<ReadOnlyMemory<byte>, int>? Deliver { get; set; }

    /// <summary>Gets the vCPU thread to come here soon (wakes it from HLT, ends its current slice).</summary>
    public Action? Kick { get; set; }

    /// <summary>From the input thread: keeps what fits and returns how many bytes it kept.</summary>
    public int Offer(ReadOnlyMemory<byte> bytes)
    {
        int taken;
        lock (_gate)
        {
            taken = Math.Min(bytes.Length, Capacity - _count);
            bytes.Span[..taken].CopyTo(_buffer.AsSpan(_count));
            _count += taken;
        }
        if (taken > 0)
        {
            Volatile.Write(ref _pending, 1);
            Kick?.Invoke();
        }
        return taken;
    }

    /// <summary>On the vCPU thread: delivers what waits, if anything (one volatile read otherwise).</summary>
    public void DrainIfPending()
    {
        if (Volatile.Read(ref _pending) == 0 || Deliver is not { } deliver)
        {
            return;
        }
        Volatile.Write(ref _pending, 0);
        lock (_gate)
        {
            int taken = deliver(_buffer.AsMemory(0, _count));
            _buffer.AsSpan(taken, _count - taken).CopyTo(_buffer);
            _count -= taken;
            if (_count > 0)
            {
                // The device took part of it, or none (its buffer full until the guest reads):
                // offer the rest at the next entry rather than only when more input arrives.
                Volatile.Write(ref _pending, 1);
            }
        }
    }
}
