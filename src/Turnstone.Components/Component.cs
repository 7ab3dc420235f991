using System.Collections.Concurrent;

namespace Turnstone.Components;

/// <summary>
/// A loaded component: a freestanding x86-64 program in its own VM, at CPL 3, reachable only
/// through the hypercall ABI (images/components/ABI.md). Each component has a thread of its own
/// that owns the vCPU; calls are queued to it and complete asynchronously.
/// <code>
/// await using var checksum = await Component.LoadAsync("checksum.elf");
/// byte[] crc = await checksum.CallAsync("checksum", data);
/// </code>
/// </summary>
public sealed class Component : IAsyncDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread _thread;
    private ComponentVm? _vm;

    private Component(string name)
    {
        Name = name;
        _thread = new Thread(Serve) { Name = $"component {name}", IsBackground = true };
    }

    public string Name { get; }
    public ComponentState State => _vm?.State ?? ComponentState.Created;
    /// <summary>The status the component passed to EXIT during start-up, if it exited.</summary>
    public int? ExitStatus => _vm?.ExitStatus;
    /// <summary>The functions it registered before READY.</summary>
    public IReadOnlyCollection<string> Functions => _vm?.Functions ?? [];
    public ComponentStatistics Statistics => _vm?.Statistics ?? new ComponentStatistics();
    internal ComponentRuntime? OwnedRuntime { get; set; }

    /// <summary>Loads a component with a private connection to KVM (see <see cref="ComponentRuntime"/> to share one).</summary>
    public static Task<Component> LoadAsync(string path, ComponentOptions? options = null) => new ComponentRuntime().LoadOwnedAsync(path, options);

    internal static async Task<Component> StartAsync(string name, Func<ComponentVm> create, ComponentRuntime? ownedRuntime)
    {
        var component = new Component(name) { OwnedRuntime = ownedRuntime };
        component._thread.Start();
        try
        {
            await component.RunOnThread(() =>
            {
                component._vm = create();
                component._vm.Initialise();
                return true;
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
        return RunOnThread(() => _vm!.Call(function, input.Span));
    }

    private Task<T> RunOnThread<T>(Func<T> work)
    {
        var completion = new TaskCompletionSource<T>();
        try
        {
            _work.Add(() =>
            {
                try
                {
                    completion.SetResult(work());
                }
                catch (Exception e)
                {
                    completion.SetException(e);
                }
            });
        }
        catch (InvalidOperationException)
        {
            completion.SetException(new ObjectDisposedException(Name, "the component has been disposed"));
        }
        return completion.Task;
    }

    private void Serve()
    {
        while (NextWork() is Action work)
        {
            work();
        }
        _vm?.Dispose();
    }

    /// <summary>
    /// Spins briefly before sleeping: a caller issuing calls back to back then finds this thread
    /// awake, and a call costs no thread wake-up (tens of microseconds on nested hosts).
    /// </summary>
    private Action? NextWork()
    {
        long spinUntil = Environment.TickCount64 + 1;
        var spinner = new SpinWait();
        while (Environment.TickCount64 <= spinUntil)
        {
            if (_work.TryTake(out var work))
            {
                return work;
            }
            if (_work.IsCompleted)
            {
                return null;
            }
            spinner.SpinOnce(sleep1Threshold: -1);
        }
        return _work.TryTake(out var next, Timeout.Infinite) ? next : null;
    }

    /// <summary>Stops a running call (it fails with a Timeout fault), destroys the VM and ends the thread.</summary>
    public ValueTask DisposeAsync()
    {
        if (!_work.IsAddingCompleted)
        {
            _vm?.RequestStop("the component is being disposed");
            _work.CompleteAdding();
        }
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }
        OwnedRuntime?.Dispose();
        OwnedRuntime = null;
        return ValueTask.CompletedTask;
    }
}
