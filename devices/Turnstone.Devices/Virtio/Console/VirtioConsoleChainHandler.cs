using Turnstone.GuestMemory;

namespace Turnstone.Devices.Virtio.Console;

/// <summary>
/// Moves the bytes of port 0, independent of transport and of queue mechanics: guest output from
/// transmitq chains to the host stream, host input from the <see cref="VirtioConsoleInputBuffer"/>
/// into receiveq chains. Every guest value is checked before it is used; nothing here throws on
/// guest-controlled input. A console has no status byte to report a bad request with, so every
/// fault breaks the chain; a transmitq chain goes back with a used length of 0, a receiveq chain
/// with the bytes of input written into it.
/// </summary>
/// <remarks>
/// Output arrives from two threads: the transmit queue's worker and, for emerg_wr, a vCPU. One lock
/// keeps their bytes from interleaving inside the stream. A vCPU therefore waits for at most the
/// chain being written, the same as it would for any write the host stream blocks on.
/// </remarks>
public sealed class VirtioConsoleChainHandler
{
    private readonly IGuestMemory _memory;
    private readonly Stream _output;
    private readonly VirtioConsoleInputBuffer _input;
    private readonly object _outputGate = new();
    // Only the receive queue's worker uses it: the input a chain will take, copied out of the ring.
    private readonly byte[] _receiveScratch;
    private long _droppedOutputBytes;

    public VirtioConsoleChainHandler(IGuestMemory memory, Stream output, VirtioConsoleInputBuffer input)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(input);
        if (!output.CanWrite)
        {
            throw new ArgumentException("the console output stream must be writable", nameof(output));
        }
        _memory = memory;
        _output = output;
        _input = input;
        _receiveScratch = new byte[input.Capacity];
    }

    /// <summary>Guest output the host stream refused with an I/O error (a closed pipe, a full disk):
    /// the guest is not told, because a console has no way to say so and should not stall on it.</summary>
    public long DroppedOutputBytes => Interlocked.Read(ref _droppedOutputBytes);

    /// <summary>Writes a transmitq chain's readable bytes to the host stream, in chain order.</summary>
    public VirtqueueChainOutcome HandleTransmit(VirtqueueDescriptorChain chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        if (chain.Error is { } chainError)
        {
            return VirtqueueChainOutcome.Broken($"transmitq chain at head {chain.HeadIndex} is malformed: {chainError}", chainError);
        }
        if (chain.WritableLength != 0)
        {
            return VirtqueueChainOutcome.Broken(
                $"transmitq chain at head {chain.HeadIndex} has {chain.WritableLength} device-writable bytes: guest output must be device-readable");
        }
        lock (_outputGate)
        {
            foreach (var range in chain.EnumerateReadable(0, chain.ReadableLength))
            {
                if (!_memory.TryGetSpan(range.Address, (int)range.Length, out var source))
                {
                    return VirtqueueChainOutcome.Broken($"transmitq chain at head {chain.HeadIndex}: guest buffer 0x{range.Address:x} is no longer RAM");
                }
                Write(source);
            }
        }
        return VirtqueueChainOutcome.Used(0);
    }

    /// <summary>Fills a receiveq chain's writable bytes with as much pending host input as fits.</summary>
    public VirtqueueChainOutcome HandleReceive(VirtqueueDescriptorChain chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        if (chain.Error is { } chainError)
        {
            return VirtqueueChainOutcome.Broken($"receiveq chain at head {chain.HeadIndex} is malformed: {chainError}", chainError);
        }
        if (chain.ReadableLength != 0)
        {
            return VirtqueueChainOutcome.Broken(
                $"receiveq chain at head {chain.HeadIndex} has {chain.ReadableLength} device-readable bytes: receive buffers must be device-writable");
        }
        if (chain.WritableLength == 0)
        {
            return VirtqueueChainOutcome.Broken($"receiveq chain at head {chain.HeadIndex} has no device-writable byte");
        }
        int length = _input.Peek(_receiveScratch.AsSpan(0, (int)Math.Min(chain.WritableLength, (ulong)_receiveScratch.Length)));
        int written = chain.CopyToWritable(0, _receiveScratch.AsSpan(0, length));
        if (written != length)
        {
            // The input stays queued: it is delivered again once the driver has reset the device.
            return VirtqueueChainOutcome.Broken($"receiveq chain at head {chain.HeadIndex}: a guest buffer is no longer RAM");
        }
        _input.Discard(written);
        return VirtqueueChainOutcome.Used((uint)written);
    }

    /// <summary>One character the driver wrote to emerg_wr.</summary>
    public void WriteEmergencyCharacter(byte character)
    {
        lock (_outputGate)
        {
            Write([character]);
            Flush();
        }
    }

    /// <summary>Pushes buffered output to the host once per batch, so an interactive shell sees its prompt.</summary>
    public void FlushOutput()
    {
        lock (_outputGate)
        {
            Flush();
        }
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        try
        {
            _output.Write(bytes);
        }
        catch (IOException)
        {
            Interlocked.Add(ref _droppedOutputBytes, bytes.Length);
        }
    }

    private void Flush()
    {
        try
        {
            _output.Flush();
        }
        catch (IOException)
        {
            // What could not be flushed is lost with the stream; Write counts what it refuses.
        }
    }
}
