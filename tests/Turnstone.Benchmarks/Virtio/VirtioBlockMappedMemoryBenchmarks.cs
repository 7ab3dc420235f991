using BenchmarkDotNet.Attributes;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Benchmarks.Virtio;

/// <summary>
/// The virtio-blk round trips of <see cref="VirtioBlockBenchmarks"/> over guest RAM mapped the way a
/// VM maps it (<see cref="MappedGuestMemory"/>: anonymous memory on transparent huge pages), which
/// is what the device models see in a running machine; no KVM is needed to map it. The managed-array
/// fake alone hid a per-descriptor allocation in the mapped memory's region lookup. The target is
/// zero bytes allocated per request.
/// </summary>
[MemoryDiagnoser]
public class VirtioBlockMappedMemoryBenchmarks : VirtioBlockBenchmarks
{
    private MappedGuestMemory? _memory;

    protected override IGuestMemory CreateGuestMemory(ulong size)
    {
        _memory = new MappedGuestMemory();
        _memory.AddRegion(0, size, hugePages: true);
        return _memory;
    }

    [GlobalCleanup]
    public void Cleanup() => _memory?.Dispose();
}
