using BenchmarkDotNet.Attributes;
using Turnstone.Components;

namespace Turnstone.Benchmarks;

/// <summary>
/// Component VMs through the public API, with the checksum sample (images/components). Each
/// benchmark names the C floor figure it is compared with (<see cref="CFloorRatioColumn"/>).
/// Set TURNSTONE_COMPONENTS to the directory `images/build-guest.sh components` prints.
/// </summary>
[MemoryDiagnoser]
public class ComponentBenchmarks
{
    private readonly byte[] _input = new byte[64];
    private byte[] _checksumElf = [];
    private ComponentRuntime? _runtime;
    private Component? _warm, _restoring;

    [GlobalSetup]
    public async Task Setup()
    {
        string directory = Environment.GetEnvironmentVariable("TURNSTONE_COMPONENTS")
            ?? throw new InvalidOperationException("set TURNSTONE_COMPONENTS to the directory images/build-guest.sh components prints");
        _checksumElf = await File.ReadAllBytesAsync(Path.Combine(directory, "checksum.elf"));
        new Random(1).NextBytes(_input);
        _runtime = new ComponentRuntime();
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

    [Benchmark(Description = "create+call+destroy [vs VM lifecycle]")]
    public async Task<byte[]> CreateCallDestroy()
    {
        await using var component = await _runtime!.LoadAsync(_checksumElf, new ComponentOptions());
        return await component.CallAsync("checksum", _input);
    }

    [Benchmark(Description = "warm call [vs PIO exit]")]
    public Task<byte[]> WarmCall() => _warm!.CallAsync("checksum", _input);

    [Benchmark(Description = "warm call with snapshot restore [vs PIO exit]")]
    public Task<byte[]> WarmCallWithRestore() => _restoring!.CallAsync("checksum", _input);
}
