using BenchmarkDotNet.Attributes;
using Turnstone.Devices.Virtio;
using Turnstone.GuestMemory;

namespace Turnstone.Benchmarks.Virtio;

/// <summary>
/// The split virtqueue's device side over fake guest memory, no KVM: the driver publishes a batch of
/// chains, the device pops each one (walking and validating every descriptor), adds it to the used
/// ring and decides once per batch whether to interrupt, as a queue worker does. Figures are per
/// chain; the target is zero bytes allocated per chain.
/// </summary>
[MemoryDiagnoser]
public class VirtqueueBenchmarks
{
    /// <summary>Chains per invocation: a queue worker drains what a driver queued between notifications.</summary>
    private const int Batch = 32;
    private const ushort QueueSize = 1024;

    private Virtqueue _queue = null!;
    private BenchmarkVirtioDriver _driver = null!;
    private VirtqueueDescriptorChain _chain = null!;
    private readonly ushort[] _directHeads = new ushort[Batch];
    private readonly ushort[] _indirectHeads = new ushort[Batch];

    /// <summary>Descriptors per chain: 1 (a console buffer), 3 (a virtio-blk request), 16 (scatter-gather).</summary>
    [Params(1, 3, 16)]
    public int Descriptors { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var memory = new ArrayGuestMemory(16 << 20);
        _queue = new Virtqueue(memory, QueueSize) { EventIndexEnabled = true, IndirectDescriptorsEnabled = true };
        _driver = new BenchmarkVirtioDriver(memory, _queue, QueueSize);
        _chain = new VirtqueueDescriptorChain(memory);
        var buffers = new (ulong Address, uint Length, bool IsWritable)[Descriptors];
        for (int chain = 0; chain < Batch; chain++)
        {
            for (int i = 0; i < buffers.Length; i++)
            {
                // Readable buffers first, then writable ones, as the spec requires: the last one is writable.
                bool writable = i == buffers.Length - 1 || i >= buffers.Length / 2;
                buffers[i] = (_driver.Allocate(512), 512, writable);
            }
            _directHeads[chain] = _driver.WriteChain(buffers);
            _indirectHeads[chain] = _driver.WriteIndirectChain(buffers);
        }
    }

    /// <summary>What VirtioBlockDevice.ProcessQueue does: pop into one reused chain object.</summary>
    [Benchmark(Description = "virtqueue pop+add-used, direct chain", OperationsPerInvoke = Batch)]
    public int PopAddUsedDirect() => RunBatch(_directHeads, reuseChain: true);

    [Benchmark(Description = "virtqueue pop+add-used, indirect chain", OperationsPerInvoke = Batch)]
    public int PopAddUsedIndirect() => RunBatch(_indirectHeads, reuseChain: true);

    /// <summary>TryPopChain, which hands out a new chain object (and its segments) per pop.</summary>
    [Benchmark(Description = "virtqueue pop+add-used, direct chain, new chain per pop", OperationsPerInvoke = Batch)]
    public int PopAddUsedDirectNewChain() => RunBatch(_directHeads, reuseChain: false);

    private int RunBatch(ushort[] heads, bool reuseChain)
    {
        foreach (ushort head in heads)
        {
            _driver.Publish(head);
        }
        int popped = 0;
        while (TryPop(reuseChain, out var chain))
        {
            if (!chain.IsValid || !_queue.AddUsed(chain.HeadIndex, (uint)chain.WritableLength))
            {
                throw new InvalidOperationException($"chain at head {chain.HeadIndex} failed: {chain.Error} {_queue.Error}");
            }
            popped++;
        }
        _queue.NeedsNotification();
        if (popped != Batch || _driver.ReapUsed() != Batch)
        {
            throw new InvalidOperationException($"popped {popped} of {Batch} chains");
        }
        return popped;
    }

    private bool TryPop(bool reuseChain, out VirtqueueDescriptorChain chain)
    {
        if (reuseChain)
        {
            chain = _chain;
            return _queue.TryPopChainInto(_chain);
        }
        return _queue.TryPopChain(out chain!);
    }
}
