using Turnstone.Firmware.Elf;
using Turnstone.Firmware;
using Turnstone.Engine;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Components;

/// <summary>
/// Opens an engine once (KVM: /dev/kvm, with the CPUID every component VM gets computed once) and
/// loads components on it. It keeps the wiped machines of ended components (up to
/// <see cref="MaxIdleMachines"/>) and gives them to new components of the same memory size, so
/// creating a component usually costs no VM creation. Dispose it after the components it loaded.
/// </summary>
public sealed class ComponentRuntime : IDisposable
{
    private readonly IExecutionEngine _engine;
    private readonly List<(ComponentWorker Worker, ComponentMachine Machine)> _idle = [];
    private bool _disposed;

    /// <summary>Opens the engine <paramref name="engine"/> asks for: KVM (throwing today's clear error
    /// when /dev/kvm is unusable), the software engine, or <see cref="EngineChoice.Auto"/>: KVM when
    /// /dev/kvm can be opened, the software engine otherwise (<see cref="EngineReason"/> says why).</summary>
    public ComponentRuntime(int maxIdleMachines = 4, EngineChoice engine = EngineChoice.Auto)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxIdleMachines);
        MaxIdleMachines = maxIdleMachines;
        (_engine, EngineReason) = ExecutionEngines.Open(engine);
    }

    /// <summary>The engine components of this runtime run on.</summary>
    public EngineKind Engine => _engine.Kind;

    /// <summary>Why that engine: what was asked for, and for <see cref="EngineChoice.Auto"/> what the probe of /dev/kvm found.</summary>
    public string EngineReason { get; }

    /// <summary>Wiped VMs kept for reuse; 0 gives every component a VM of its own, created and destroyed with it.</summary>
    public int MaxIdleMachines { get; }

    /// <summary>Validates the ELF and options (throwing <see cref="ComponentImageException"/> before any VM
    /// exists), then creates the VM and runs the component's start-up code to READY or EXIT.</summary>
    public Task<Component> LoadAsync(string path, ComponentOptions? options = null)
    {
        byte[] file;
        try
        {
            file = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ComponentImageException($"{path}: cannot read: {e.Message}");
        }
        return LoadAsync(file, options, Path.GetFileName(path));
    }

    public Task<Component> LoadAsync(ReadOnlyMemory<byte> elf, ComponentOptions? options = null, string name = "component")
    {
        options ??= new ComponentOptions();
        if (!ExecutionEngines.Allows(options.Engine, Engine))
        {
            throw new ArgumentException($"the options ask for the {options.Engine} engine; this runtime runs on {ExecutionEngines.Name(Engine)}", nameof(options));
        }
        var (image, space) = Validate(elf, options, name);
        return Component.StartAsync(name, this,
            () => ComponentMachine.Create(_engine, space.MemorySize),
            machine => new ComponentVm(machine, image, space, options),
            TakeIdle(space.MemorySize));
    }

    private (ComponentWorker, ComponentMachine)? TakeIdle(ulong memorySize)
    {
        lock (_idle)
        {
            int index = _idle.FindIndex(entry => entry.Machine.MemorySize == memorySize);
            if (index < 0)
            {
                return null;
            }
            var entry = _idle[index];
            _idle.RemoveAt(index);
            return entry;
        }
    }

    /// <summary>Keeps a wiped machine for the next component; false when the pool is full or closed.</summary>
    internal bool TryKeep(ComponentWorker worker, ComponentMachine machine)
    {
        lock (_idle)
        {
            if (_disposed || _idle.Count >= MaxIdleMachines)
            {
                return false;
            }
            _idle.Add((worker, machine));
            return true;
        }
    }

    internal static (ElfImage Image, ComponentAddressSpace Space) Validate(ReadOnlyMemory<byte> elf, ComponentOptions options, string name)
    {
        ElfImage image;
        try
        {
            image = ElfImage.Parse(elf, name);
        }
        catch (BootImageException e)
        {
            throw new ComponentImageException(e.Message);
        }
        return (image, ComponentAddressSpace.Plan(image, options.Limits, name));
    }

    /// <summary>Loads a component that owns this runtime and disposes it with itself.</summary>
    internal async Task<Component> LoadOwnedAsync(string path, ComponentOptions? options)
    {
        try
        {
            var component = await LoadAsync(path, options);
            component.OwnsRuntime = true;
            return component;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Destroys the idle machines and closes the engine (/dev/kvm); components still loaded keep working until disposed.</summary>
    public void Dispose()
    {
        List<(ComponentWorker Worker, ComponentMachine Machine)> idle;
        lock (_idle)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            idle = [.. _idle];
            _idle.Clear();
        }
        foreach (var (worker, machine) in idle)
        {
            if (worker.IsCurrentThread)
            {
                machine.Dispose(); // disposing from a continuation on that worker: waiting for it would deadlock
            }
            else
            {
                worker.Run(machine.Dispose).Wait();
            }
            worker.Stop();
        }
        _engine.Dispose();
    }
}
