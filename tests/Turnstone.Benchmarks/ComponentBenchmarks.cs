using BenchmarkDotNet.Attributes;
using Turnstone.Components;
using Turnstone.Engine;

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
    private const int CallsPerInvoke = 1000;
    private ComponentRuntime? _runtime, _freshVms;
    private Component? _warm, _restoring;

    [GlobalSetup]
    public async Task Setup()
    {
        string directory = Environment.GetEnvironmentVariable("TURNSTONE_COMPONENTS")
            ?? throw new InvalidOperationException("set TURNSTONE_COMPONENTS to the directory images/build-guest.sh components prints");
        _checksumElf = await File.ReadAllBytesAsync(Path.Combine(directory, "checksum.elf"));
        new Random(1).NextBytes(_input);
        _runtime = new ComponentRuntime(engine: EngineChoice.Kvm); // next to the KVM C floor
        _freshVms = new ComponentRuntime(maxIdleMachines: 0, engine: EngineChoice.Kvm);
        _warm = await _runtime.LoadAsync(_checksumElf, new ComponentOptions { RestoreStateBeforeEachCall = false });
        _restoring = await _runtime.LoadAsync(_checksumElf, new ComponentOptions { RestoreStateBeforeEachCall = true });
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _warm!.DisposeAsync();
        await _restoring!.DisposeAsync();
        _runtime!.Dispose();
        _freshVms!.Dispose();
    }

    /// <summary>The runtime hands a loop of create+destroy the same wiped VM each time.</summary>
    [Benchmark(Description = "create+call+destroy [vs VM lifecycle]")]
    public Task<byte[]> CreateCallDestroy() => Lifecycle(_runtime!);

    [Benchmark(Description = "create+call+destroy, fresh VM [vs VM lifecycle]")]
    public Task<byte[]> CreateCallDestroyFreshVm() => Lifecycle(_freshVms!);

    private async Task<byte[]> Lifecycle(ComponentRuntime runtime)
    {
        await using var component = await runtime.LoadAsync(_checksumElf, new ComponentOptions());
        return await component.CallAsync("checksum", _input);
    }

    /// <summary>Calls awaited back to back, as an async caller issues them (one invocation, many calls,
    /// so the harness's own synchronous wait is not part of every call).</summary>
    [Benchmark(Description = "warm call [vs PIO exit]", OperationsPerInvoke = CallsPerInvoke)]
    public Task WarmCall() => Calls(_warm!);

    [Benchmark(Description = "warm call with snapshot restore [vs PIO exit]", OperationsPerInvoke = CallsPerInvoke)]
    public Task WarmCallWithRestore() => Calls(_restoring!);

    private async Task Calls(Component component)
    {
        for (int i = 0; i < CallsPerInvoke; i++)
        {
            await component.CallAsync("checksum", _input);
        }
    }
}
