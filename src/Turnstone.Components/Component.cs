using Turnstone.Engine;

namespace Turnstone.Components;

/// <summary>
/// A loaded component: a freestanding x86-64 program in its own VM, at CPL 3, reachable only
/// through the hypercall ABI (images/components/ABI.md). Its VM belongs to a worker thread of
/// its own; calls are queued to it and complete asynchronously.
/// <code>
/// await using var checksum = await Component.LoadAsync("checksum.elf");
/// byte[] crc = await checksum.CallAsync("checksum", data);
/// </code>
/// Continuations of the returned tasks may run on the component's worker thread (that saves a
/// thread wake-up per call); code there must not block waiting for another call of the same component.
/// </summary>
public sealed class Component : IAsyncDisposable
{
    private readonly ComponentRuntime _runtime;
    private readonly ComponentWorker _worker;
    private ComponentMachine? _machine;
    private ComponentVm? _vm;
    private bool _disposed;

    private Component(string name, ComponentRuntime runtime, ComponentWorker worker, ComponentMachine? machine)
    {
        Name = name;
        _runtime = runtime;
        _worker = worker;
        _machine = machine;
    }

    public string Name { get; }
    public ComponentState State => _vm?.State ?? ComponentState.Created;
    /// <summary>The status the component passed to EXIT during start-up, if it exited.</summary>
    public int? ExitStatus => _vm?.ExitStatus;
    /// <summary>The functions it registered before READY.</summary>
    public IReadOnlyCollection<string> Functions => _vm?.Functions ?? [];
    public ComponentStatistics Statistics => _vm?.Statistics ?? new ComponentStatistics();
    /// <summary>True when the VM was recycled from the runtime's pool rather than created for this component.</summary>
    public bool ReusedMachine { get; private set; }
    internal bool OwnsRuntime { get; set; }

    /// <summary>The engine it runs on.</summary>
    public EngineKind Engine => _runtime.Engine;

    /// <summary>Loads a component with a private engine, the one <see cref="ComponentOptions.Engine"/> asks
    /// for (see <see cref="ComponentRuntime"/> to share one).</summary>
    public static Task<Component> LoadAsync(string path, ComponentOptions? options = null) =>
        new ComponentRuntime(engine: options?.Engine ?? EngineChoice.Auto).LoadOwnedAsync(path, options);

    internal static async Task<Component> StartAsync(string name, ComponentRuntime runtime, Func<ComponentMachine> createMachine,
        Func<ComponentMachine, ComponentVm> load, (ComponentWorker Worker, ComponentMachine Machine)? recycled)
    {
        var component = new Component(name, runtime, recycled?.Worker ?? new ComponentWorker(), recycled?.Machine) { ReusedMachine = recycled is not null };
        try
        {
            await component._worker.Run(() =>
            {
                component._machine ??= createMachine();
                component._vm = load(component._machine);
                component._vm.Initialise();
            });
        }
        catch
        {
            await component.DisposeAsync();
            throw;
        }
        return component;
    }

    /// <summary>Calls a function the component registered. Throws <see cref="ComponentCallException"/> when
    /// it answers with an error code, <see cref="ComponentFaultException"/> when the VM had to be stopped.</summary>
    public Task<byte[]> CallAsync(string function, ReadOnlyMemory<byte> input)
    {
        ArgumentNullException.ThrowIfNull(function);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _worker.Run(() => _vm is null ? throw new InvalidOperationException("the component did not load") : _vm.Call(function, input.Span));
    }

    /// <summary>Stops a running call (it fails with a Timeout fault) and ends the component. Its wiped machine
    /// goes back to the runtime for the next component, or is destroyed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _vm?.RequestStop("the component is being disposed");
        bool wiped = await _worker.Run(() =>
        {
            _vm?.Dispose();
            if (_machine is null)
            {
                return false;
            }
            try
            {
                _machine.Wipe();
                return true;
            }
            catch (Exception e) when (e is Hypervisor.KvmException or ObjectDisposedException)
            {
                return false;
            }
        });
        if (_machine is null || !wiped || OwnsRuntime || !_runtime.TryKeep(_worker, _machine))
        {
            await _worker.Run(() => _machine?.Dispose());
            _worker.Stop();
        }
        if (OwnsRuntime)
        {
            _runtime.Dispose();
        }
    }
}
