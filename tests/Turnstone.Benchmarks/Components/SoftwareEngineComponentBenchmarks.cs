using BenchmarkDotNet.Attributes;
using Turnstone.Components;
using Turnstone.Engine;

namespace Turnstone.Benchmarks.Components;

/// <summary>
/// Component calls and lifecycles on the software engine (no KVM needed), through the public API,
/// with the checksum and counter samples (images/components). Issue 11's targets: a warm call under
/// 2 us, create + call + destroy under 50 us. checksum's start-up fills its CRC tables (about 20,000
/// guest instructions), so its lifecycle is bounded by the interpreter's speed; counter's start-up is
/// a few hundred instructions, so its lifecycle is the runtime's own cost.
/// Set TURNSTONE_COMPONENTS to the directory `images/build-guest.sh components` prints.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class SoftwareEngineComponentBenchmarks
{
    private const int CallsPerInvoke = 1000;
    private readonly byte[] _input = new byte[64];
    private byte[] _checksumElf = [], _counterElf = [];
    private ComponentRuntime? _runtime;
    private Component? _warm, _restoring;

    [GlobalSetup]
    public async Task Setup()
    {
        string directory = Environment.GetEnvironmentVariable("TURNSTONE_COMPONENTS")
            ?? throw new InvalidOperationException("set TURNSTONE_COMPONENTS to the directory images/build-guest.sh components prints");
        _checksumElf = await File.ReadAllBytesAsync(Path.Combine(directory, "checksum.elf"));
        _counterElf = await File.ReadAllBytesAsync(Path.Combine(directory, "counter.elf"));
        new Random(1).NextBytes(_input);
        _runtime = new ComponentRuntime(engine: EngineChoice.Soft);
        _warm = await _runtime.LoadAsync(_checksumElf, new ComponentOptions { RestoreStateBeforeEachCall = false });
        _restoring = await _runtime.LoadAsync(_checksumElf, new ComponentOptions { RestoreStateBeforeEachCall = true });
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _warm!.DisposeAsync();
        await _restoring!.DisposeAsync();
        _runtime!.Dispose();
    }

    /// <summary>Calls awaited back to back (64 bytes in, 4 out), as an async caller issues them.</summary>
    [Benchmark(Description = "soft: warm call, checksum", OperationsPerInvoke = CallsPerInvoke)]
    public Task WarmCall() => Calls(_warm!);

    [Benchmark(Description = "soft: warm call with snapshot restore, checksum", OperationsPerInvoke = CallsPerInvoke)]
    public Task WarmCallWithRestore() => Calls(_restoring!);

    /// <summary>The runtime hands a loop of create+destroy the same wiped machine each time.</summary>
    [Benchmark(Description = "soft: create+call+destroy, checksum")]
    public Task<byte[]> CreateCallDestroyChecksum() => Lifecycle(_checksumElf, "checksum");

    [Benchmark(Description = "soft: create+call+destroy, counter")]
    public Task<byte[]> CreateCallDestroyCounter() => Lifecycle(_counterElf, "next");

    private async Task<byte[]> Lifecycle(byte[] elf, string function)
    {
        await using var component = await _runtime!.LoadAsync(elf, new ComponentOptions());
        return await component.CallAsync(function, _input);
    }

    private async Task Calls(Component component)
    {
        for (int i = 0; i < CallsPerInvoke; i++)
        {
            await component.CallAsync("checksum", _input);
        }
    }
}
