using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Turnstone.Components;
using Turnstone.Engine;

namespace Turnstone.IntegrationTests;

/// <summary>
/// The sample components (images/components/samples) through the public API, on each engine: the
/// good ones do their work, each hostile one ends with the structured error it deserves, and the
/// process then runs a good component as if nothing had happened. Every test runs on the software
/// engine always and on KVM where /dev/kvm is usable (<see cref="OnKvmAttribute"/>).
/// </summary>
[Trait("Category", "Integration")]
public sealed class ComponentTests
{
    private static ComponentOptions Options(EngineChoice engine, MemoryStream? output = null, bool restore = true, TimeSpan? timeout = null,
        Dictionary<string, HostFunction>? host = null) => new()
    {
        Output = output,
        RestoreStateBeforeEachCall = restore,
        Limits = new ComponentLimits { CallTimeout = timeout ?? TimeSpan.FromSeconds(10) },
        HostFunctions = host ?? new Dictionary<string, HostFunction>(),
        Engine = engine,
    };

    [Theory, OnSoftEngine, OnKvm]
    public async Task Hello_prints_calls_the_host_and_exits_zero(EngineChoice engine)
    {
        var output = new MemoryStream();
        string? seen = null;
        var host = new Dictionary<string, HostFunction> { ["echo"] = input => { seen = Encoding.UTF8.GetString(input); return [.. "pong"u8]; } };
        await using var hello = await Component.LoadAsync(GuestImages.Component("hello"), Options(engine, output, host: host));

        Assert.Equal(ComponentState.Exited, hello.State);
        Assert.Equal(0, hello.ExitStatus);
        Assert.Equal("ping", seen);
        string printed = Encoding.UTF8.GetString(output.ToArray());
        Assert.Contains("hello from a Turnstone component", printed);
        Assert.Contains("host answered: pong", printed);
    }

    [Theory, OnSoftEngine, OnKvm]
    public async Task A_missing_host_function_is_an_error_code_the_component_handles(EngineChoice engine)
    {
        var output = new MemoryStream();
        await using var hello = await Component.LoadAsync(GuestImages.Component("hello"), Options(engine, output));

        Assert.Equal(3, hello.ExitStatus); // hello exits 3 when its host call fails
        Assert.Contains("-2", Encoding.UTF8.GetString(output.ToArray())); // TS_ENOENT
    }

    [Theory, OnSoftEngine, OnKvm]
    public async Task Checksum_returns_the_crc32_of_the_host_buffer(EngineChoice engine)
    {
        var data = new byte[300_000];
        new Random(7).NextBytes(data);
        await using var checksum = await Component.LoadAsync(GuestImages.Component("checksum"), Options(engine));

        Assert.Contains("checksum", checksum.Functions);
        byte[] first = await checksum.CallAsync("checksum", data);
        byte[] second = await checksum.CallAsync("checksum", data.AsMemory(0, 1000));
        byte[] empty = await checksum.CallAsync("checksum", ReadOnlyMemory<byte>.Empty);

        Assert.Equal(Crc32.Hash(data), first);
        Assert.Equal(Crc32.Hash(data.AsSpan(0, 1000)), second);
        Assert.Equal(Crc32.Hash([]), empty);
    }

    [Theory, OnSoftEngine, OnKvm]
    public async Task Checksum_repeat_continues_the_crc_across_repetitions(EngineChoice engine)
    {
        var payload = Encoding.ASCII.GetBytes("turnstone component payload");
        const ulong Total = 1000;
        var input = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(input, Total);
        payload.CopyTo(input, 8);
        await using var checksum = await Component.LoadAsync(GuestImages.Component("checksum"), Options(engine));

        byte[] crc = await checksum.CallAsync("checksum_repeat", input);

        var stream = Enumerable.Repeat(payload, (int)Total / payload.Length + 1).SelectMany(p => p).Take((int)Total).ToArray();
        Assert.Equal(Crc32.Hash(stream), crc);
    }

    [Theory, OnSoftEngine, OnKvm]
    public async Task Every_call_starts_from_the_snapshot_unless_state_is_kept(EngineChoice engine)
    {
        await using var clean = await Component.LoadAsync(GuestImages.Component("counter"), Options(engine, restore: true));
        await using var stateful = await Component.LoadAsync(GuestImages.Component("counter"), Options(engine, restore: false));

        var cleanCounts = new List<ulong>();
        var statefulCounts = new List<ulong>();
        for (int i = 0; i < 4; i++)
        {
            cleanCounts.Add(BinaryPrimitives.ReadUInt64LittleEndian(await clean.CallAsync("next", ReadOnlyMemory<byte>.Empty)));
            statefulCounts.Add(BinaryPrimitives.ReadUInt64LittleEndian(await stateful.CallAsync("next", ReadOnlyMemory<byte>.Empty)));
        }

        Assert.Equal([1ul, 1, 1, 1], cleanCounts);
        Assert.Equal([1ul, 2, 3, 4], statefulCounts);
        Assert.True(clean.Statistics.LastRestoredPages > 0, "the restore found no page the call wrote (dirty log not working?)");
    }

    [Theory, OnSoftEngine, OnKvm]
    public async Task Restores_stay_exact_across_many_calls_while_pages_are_kept_writable_and_relearned(EngineChoice engine)
    {
        await using var clean = await Component.LoadAsync(GuestImages.Component("counter"), Options(engine, restore: true));

        var counts = new HashSet<ulong>();
        for (int i = 0; i < 600; i++) // past two relearning rounds of the hot-page set (every 256 restores)
        {
            counts.Add(BinaryPrimitives.ReadUInt64LittleEndian(await clean.CallAsync("next", ReadOnlyMemory<byte>.Empty)));
        }

        Assert.Equal([1ul], counts);
    }

    [Theory, OnSoftEngine, OnKvm]
    public async Task Ticker_counts_timer_interrupts_delivered_to_its_handler(EngineChoice engine)
    {
        var output = new MemoryStream();
        await using var ticker = await Component.LoadAsync(GuestImages.Component("ticker"), Options(engine, output));

        Assert.Equal(0, ticker.ExitStatus);
        Assert.Contains("ticker: 5 ticks", Encoding.UTF8.GetString(output.ToArray()));
        Assert.True(ticker.Statistics.TicksDelivered >= 5, $"{ticker.Statistics.TicksDelivered} ticks delivered");
    }

    public static TheoryData<string, ComponentFaultKind, string> HostileStartUps => new()
    {
        { "wild_write", ComponentFaultKind.Exception, "page fault writing 0x7f0000000000" },
        { "privileged", ComponentFaultKind.Exception, "#GP" },
        { "bad_pointer", ComponentFaultKind.BadHypercall, "0x7f0000000000" },
    };

    [Theory]
    [OnSoftEngine(nameof(HostileStartUps))]
    [OnKvm(nameof(HostileStartUps))]
    public async Task A_hostile_component_is_stopped_with_a_structured_error_and_a_good_one_runs_after(
        EngineChoice engine, string name, ComponentFaultKind kind, string detail)
    {
        var fault = (await Assert.ThrowsAsync<ComponentFaultException>(() => Component.LoadAsync(GuestImages.Component(name), Options(engine)))).Fault;

        Assert.Equal(kind, fault.Kind);
        Assert.Contains(detail, fault.Message);
        Assert.NotEqual(0ul, fault.Rip);
        Assert.Contains(fault.Rip.ToString("x16"), fault.ToString());
        await AssertAGoodComponentStillWorks(engine);
    }

    [Theory, OnSoftEngine, OnKvm]
    public async Task Wild_write_reports_the_faulting_instruction_and_address(EngineChoice engine)
    {
        var fault = (await Assert.ThrowsAsync<ComponentFaultException>(() => Component.LoadAsync(GuestImages.Component("wild_write"), Options(engine)))).Fault;

        Assert.Equal(14, fault.Vector);
        Assert.Equal(0x7f00_0000_0000ul, fault.FaultAddress);
        Assert.Equal(0x7f00_0000_0000ul, fault.Registers.Rax); // the pointer the store used
        Assert.Contains("mov", fault.Disassembly);
    }

    [Theory, OnSoftEngine, OnKvm]
    public async Task Privileged_instruction_is_named_in_the_report(EngineChoice engine)
    {
        var fault = (await Assert.ThrowsAsync<ComponentFaultException>(() => Component.LoadAsync(GuestImages.Component("privileged"), Options(engine)))).Fault;

        Assert.Equal(13, fault.Vector);
        Assert.Contains("hlt", fault.Disassembly);
    }

    [Theory, OnSoftEngine, OnKvm]
    public async Task An_endless_call_is_stopped_at_its_budget_and_the_component_stays_dead(EngineChoice engine)
    {
        await using var endless = await Component.LoadAsync(GuestImages.Component("endless"), Options(engine, timeout: TimeSpan.FromMilliseconds(500)));

        var fault = (await Assert.ThrowsAsync<ComponentFaultException>(() => endless.CallAsync("spin", ReadOnlyMemory<byte>.Empty))).Fault;

        Assert.Equal(ComponentFaultKind.Timeout, fault.Kind);
        Assert.True(endless.Statistics.Exits >= 1);
        Assert.Equal(ComponentState.Faulted, endless.State);
        await Assert.ThrowsAsync<ComponentFaultException>(() => endless.CallAsync("spin", ReadOnlyMemory<byte>.Empty));
        await AssertAGoodComponentStillWorks(engine);
    }

    [Theory, OnSoftEngine, OnKvm]
    public async Task Disposing_stops_a_runaway_call(EngineChoice engine)
    {
        var endless = await Component.LoadAsync(GuestImages.Component("endless"), Options(engine, timeout: TimeSpan.FromMinutes(10)));
        var call = endless.CallAsync("spin", ReadOnlyMemory<byte>.Empty);
        await Task.Delay(200);

        await endless.DisposeAsync();

        var fault = (await Assert.ThrowsAsync<ComponentFaultException>(() => call)).Fault;
        Assert.Equal(ComponentFaultKind.Timeout, fault.Kind);
        Assert.Contains("disposed", fault.Message);
    }

    [Theory, OnSoftEngine, OnKvm]
    public async Task An_oversized_result_ends_the_vm_with_output_limit_exceeded(EngineChoice engine)
    {
        await using var oversized = await Component.LoadAsync(GuestImages.Component("oversized"), Options(engine));

        var fault = (await Assert.ThrowsAsync<ComponentFaultException>(() => oversized.CallAsync("oversized", ReadOnlyMemory<byte>.Empty))).Fault;

        Assert.Equal(ComponentFaultKind.OutputLimitExceeded, fault.Kind);
        await AssertAGoodComponentStillWorks(engine);
    }

    [Theory, OnSoftEngine, OnKvm]
    public async Task Input_over_the_limit_and_unknown_functions_are_refused_before_the_guest_runs(EngineChoice engine)
    {
        await using var checksum = await Component.LoadAsync(GuestImages.Component("checksum"), Options(engine));

        await Assert.ThrowsAsync<ArgumentException>(() => checksum.CallAsync("checksum", new byte[(1 << 20) + 1]));
        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => checksum.CallAsync("no_such_function", ReadOnlyMemory<byte>.Empty));
        Assert.Contains("checksum", unknown.Message); // it lists what the component does serve

        Assert.Equal(Crc32.Hash("abc"u8), await checksum.CallAsync("checksum", "abc"u8.ToArray()));
    }

    [Theory, OnSoftEngine, OnKvm]
    public async Task Components_run_side_by_side_in_one_process(EngineChoice engine)
    {
        var loads = Enumerable.Range(0, 3).Select(_ => Component.LoadAsync(GuestImages.Component("checksum"), Options(engine))).ToArray();
        var components = await Task.WhenAll(loads);
        try
        {
            var data = Enumerable.Range(0, 3).Select(i => Enumerable.Repeat((byte)i, 4096 * (i + 1)).ToArray()).ToArray();
            var results = await Task.WhenAll(components.Select((c, i) => c.CallAsync("checksum", data[i])));
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal(Crc32.Hash(data[i]), results[i]);
            }
        }
        finally
        {
            foreach (var component in components)
            {
                await component.DisposeAsync();
            }
        }
    }

    [Theory, OnSoftEngine, OnKvm]
    public async Task A_recycled_vm_starts_from_zeroed_memory_and_reset_registers(EngineChoice engine)
    {
        using var runtime = new ComponentRuntime(maxIdleMachines: 1, engine: engine);
        byte[] counter = await File.ReadAllBytesAsync(GuestImages.Component("counter"));
        await using (var first = await runtime.LoadAsync(counter, Options(engine, restore: false)))
        {
            for (int i = 0; i < 3; i++)
            {
                await first.CallAsync("next", ReadOnlyMemory<byte>.Empty);
            }
            Assert.False(first.ReusedMachine);
        }

        await using var second = await runtime.LoadAsync(counter, Options(engine, restore: false));

        Assert.True(second.ReusedMachine);
        Assert.Equal(1ul, BinaryPrimitives.ReadUInt64LittleEndian(await second.CallAsync("next", ReadOnlyMemory<byte>.Empty)));
    }

    [Theory, OnSoftEngine, OnKvm]
    public async Task A_vm_recycled_after_a_fault_runs_the_next_component_correctly(EngineChoice engine)
    {
        using var runtime = new ComponentRuntime(maxIdleMachines: 1, engine: engine);
        await Assert.ThrowsAsync<ComponentFaultException>(() => runtime.LoadAsync(GuestImages.Component("wild_write"), Options(engine)));
        await using var endless = await runtime.LoadAsync(GuestImages.Component("endless"), Options(engine, timeout: TimeSpan.FromMilliseconds(300)));
        Assert.True(endless.ReusedMachine);
        await Assert.ThrowsAsync<ComponentFaultException>(() => endless.CallAsync("spin", ReadOnlyMemory<byte>.Empty));
        await endless.DisposeAsync();

        await using var checksum = await runtime.LoadAsync(GuestImages.Component("checksum"), Options(engine));

        Assert.True(checksum.ReusedMachine);
        Assert.Equal(Crc32.Hash("recycled"u8), await checksum.CallAsync("checksum", "recycled"u8.ToArray()));
    }

    private static async Task AssertAGoodComponentStillWorks(EngineChoice engine)
    {
        await using var checksum = await Component.LoadAsync(GuestImages.Component("checksum"), Options(engine));
        Assert.Equal(Crc32.Hash("still alive"u8), await checksum.CallAsync("checksum", "still alive"u8.ToArray()));
    }
}
