using System.Diagnostics;
using Turnstone.Firmware.Elf;
using Turnstone.GuestMemory;
using Turnstone.Engine;

namespace Turnstone.Components;

/// <summary>
/// One component in its own VM, driven synchronously by the worker thread that owns its
/// <see cref="ComponentMachine"/> (the vCPU is bound to that thread). It runs the component to its first READY (or EXIT), then serves calls.
/// Any fault, bad hypercall or exceeded limit stops the VM for good and is thrown as a
/// <see cref="ComponentFaultException"/>; the public, asynchronous face is <see cref="Component"/>.
/// </summary>
internal sealed partial class ComponentVm : IDisposable
{
    private readonly ComponentMachine _machine;
    private readonly ComponentAddressSpace _space;
    private readonly ComponentOptions _options;
    private readonly Dictionary<string, ulong> _functions = new(StringComparer.Ordinal);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ManualResetEventSlim _wake = new();
    private readonly Timer _watchdog;
    private ComponentSnapshot? _snapshot;
    private ComponentFault? _fault;
    private long _deadline = long.MaxValue; // Stopwatch timestamp
    private volatile string? _stopReason;
    private int _lastInputLength;
    private string? _callName;

    /// <summary>Loads the component into <paramref name="machine"/> (fresh or wiped). Nothing runs yet.</summary>
    public ComponentVm(ComponentMachine machine, ElfImage image, ComponentAddressSpace space, ComponentOptions options)
    {
        machine.Load(image, space);
        _machine = machine;
        _space = space;
        _options = options;
        // A periodic check rather than a timer armed per call: re-arming a timer wakes the
        // runtime's timer thread, which on these hosts costs a noticeable share of a call.
        var period = TimeSpan.FromTicks(Math.Clamp(options.Limits.CallTimeout.Ticks / 10, TimeSpan.TicksPerMillisecond, 100 * TimeSpan.TicksPerMillisecond));
        _watchdog = new Timer(_ => StopIfOverBudget(), null, period, period);
        _tickTimer = new Timer(_ => Tick());
    }

    public ComponentState State { get; private set; } = ComponentState.Created;
    public int? ExitStatus { get; private set; }
    public IReadOnlyCollection<string> Functions => _functions.Keys;
    public ComponentStatistics Statistics { get; } = new();
    private IGuestMemory Memory => _machine.Memory;

    /// <summary>Runs the component's start-up code until it serves calls (READY) or exits.</summary>
    public void Initialise()
    {
        RequireState(ComponentState.Created);
        State = ComponentState.Initialising;
        var stop = RunUntilStop();
        if (stop.Hypercall == Hypercall.Exit)
        {
            ExitStatus = (int)stop.Value;
            State = ComponentState.Exited;
            return;
        }
        State = ComponentState.Ready;
        if (_options.RestoreStateBeforeEachCall)
        {
            _snapshot = ComponentSnapshot.Take(_machine, _space, _machine.Vcpu.Registers);
            Statistics.SnapshotPages = _snapshot.CapturedPages;
        }
    }

    /// <summary>Calls the registered function <paramref name="name"/> and returns its result bytes.</summary>
    public byte[] Call(string name, ReadOnlySpan<byte> input)
    {
        RequireState(ComponentState.Ready);
        if (!_functions.TryGetValue(name, out ulong function))
        {
            throw new ArgumentException($"the component has no function '{name}' (it registered: {string.Join(", ", _functions.Keys.Order())})", nameof(name));
        }
        if (input.Length > _options.Limits.MaxInputSize)
        {
            throw new ArgumentException($"input of {input.Length} bytes exceeds the component's input limit of {_options.Limits.MaxInputSize}", nameof(input));
        }
        ref var registers = ref _machine.Vcpu.Registers;
        if (_snapshot is not null)
        {
            _snapshot.Restore(_machine, ref registers, (ComponentLayout.InputArea, (ulong)_lastInputLength));
            Statistics.LastRestoredPages = _snapshot.LastRestoredPages;
        }
        Memory.Write(ComponentLayout.InputArea, input);
        _lastInputLength = input.Length;
        registers.Rax = function;
        registers.Rdi = ComponentLayout.InputArea;
        registers.Rsi = (ulong)input.Length;
        registers.Rdx = ComponentLayout.OutputArea;
        registers.Rcx = (ulong)_options.Limits.MaxOutputSize;
        _machine.Vcpu.MarkRegistersDirty();
        State = ComponentState.Calling;
        _callName = name;
        var stop = RunUntilStop();
        if (stop.Hypercall == Hypercall.Exit)
        {
            throw Stop(ComponentFaultKind.Exited, $"the component exited with status {(int)stop.Value} during call '{name}'");
        }
        State = ComponentState.Ready;
        long result = (long)stop.Value;
        if (result < 0)
        {
            throw new ComponentCallException(name, result);
        }
        Statistics.Calls++;
        return Memory.GetSpan(ComponentLayout.OutputArea, (int)result).ToArray();
    }

    private void RequireState(ComponentState expected)
    {
        if (_fault is not null)
        {
            throw new ComponentFaultException(_fault);
        }
        if (State != expected)
        {
            throw new InvalidOperationException(State == ComponentState.Exited
                ? $"the component has exited (status {ExitStatus}) and serves no calls"
                : $"the component is {State}, not {expected}");
        }
    }

    /// <summary>Makes a running or halted component return to the monitor soon (any thread).</summary>
    private void Interrupt()
    {
        _machine.Vcpu.Kick();
        try
        {
            _wake.Set();
        }
        catch (ObjectDisposedException)
        {
            // a timer callback that was already running when this component ended
        }
    }

    /// <summary>Stops the component from another thread; the running load or call fails with <paramref name="reason"/>.</summary>
    public void RequestStop(string reason)
    {
        _stopReason = reason;
        Interrupt();
    }

    private readonly record struct StopPoint(Hypercall Hypercall, ulong Value);

    /// <summary>Enters the guest until it issues READY or EXIT; faults and limits throw.</summary>
    private StopPoint RunUntilStop()
    {
        Volatile.Write(ref _deadline, Stopwatch.GetTimestamp() + (long)(_options.Limits.CallTimeout.TotalSeconds * Stopwatch.Frequency));
        try
        {
            while (true)
            {
                DeliverPendingTick();
                var exit = _machine.Vcpu.Run();
                Statistics.Exits++;
                Statistics.InstructionsRetired = _machine.Vcpu.InstructionsRetired;
                switch (exit.Kind)
                {
                    case EngineExitKind.PortIo when exit.Port == ComponentLayout.HypercallPort && exit.IsWrite:
                        if (HandleHypercall() is StopPoint stop)
                        {
                            return stop;
                        }
                        break;
                    case EngineExitKind.PortIo when ComponentShim.VectorAt(_machine.Vcpu.Registers.Rip) is int vector
                                                && exit.Port == ComponentLayout.FaultPortBase + vector:
                        throw ExceptionFault(vector);
                    case EngineExitKind.PortIo:
                        throw Stop(ComponentFaultKind.ForbiddenInstruction,
                            $"{(exit.IsWrite ? "out" : "in")} to port 0x{exit.Port:x}: only the hypercall port 0x{ComponentLayout.HypercallPort:x} is open");
                    case EngineExitKind.Interrupted:
                        CheckLimits();
                        break;
                    case EngineExitKind.Shutdown:
                        throw Stop(ComponentFaultKind.Exception, "triple fault: the CPU could not deliver an exception");
                    case EngineExitKind.Failed:
                        throw Stop(ComponentFaultKind.Internal, exit.Description ?? "the engine failed");
                    case EngineExitKind.Other when exit.Description is string description:
                        throw Stop(ComponentFaultKind.ForbiddenInstruction, description);
                    default:
                        throw Stop(ComponentFaultKind.ForbiddenInstruction, $"unexpected VM exit {exit.Kind}");
                }
            }
        }
        catch (Exception e) when (e is not ComponentFaultException)
        {
            // Whatever the guest did, the caller gets a structured fault, never a stray exception.
            throw _fault is null ? Stop(ComponentFaultKind.Internal, $"{e.GetType().Name}: {e.Message}") : new ComponentFaultException(_fault);
        }
        finally
        {
            Volatile.Write(ref _deadline, long.MaxValue);
        }
    }

    /// <summary>Runs on a thread-pool thread.</summary>
    private void StopIfOverBudget()
    {
        if (Stopwatch.GetTimestamp() >= Volatile.Read(ref _deadline))
        {
            Interrupt();
        }
    }

    /// <summary>What is running, for messages; formatted only when one is needed, not per call.</summary>
    private string Phase => State == ComponentState.Calling ? $"call '{_callName}'" : "initialisation";

    private void CheckLimits()
    {
        if (_stopReason is string reason)
        {
            throw Stop(ComponentFaultKind.Timeout, $"{Phase} stopped by the host: {reason}");
        }
        if (Stopwatch.GetTimestamp() >= _deadline)
        {
            throw Stop(ComponentFaultKind.Timeout, $"{Phase} ran longer than its budget of {_options.Limits.CallTimeout.TotalMilliseconds:0} ms");
        }
    }

    /// <summary>Ends the VM: records the fault with the component's registers and the instruction at RIP.</summary>
    private ComponentFaultException Stop(ComponentFaultKind kind, string message, GeneralRegisters? registers = null, int? vector = null, ulong? errorCode = null, ulong? address = null)
    {
        var regs = registers ?? _machine.Vcpu.Registers;
        _fault = new ComponentFault(kind, message, regs.Rip, regs, DisassembleAt(regs.Rip), vector, errorCode, address);
        State = ComponentState.Faulted;
        StopTimer();
        return new ComponentFaultException(_fault);
    }

    private string DisassembleAt(ulong rip)
    {
        var text = _space.Ranges.FirstOrDefault(r => r.Executable && r.Contains(rip, 1));
        if (text.Size == 0)
        {
            return "";
        }
        int length = (int)Math.Min(15, text.End - rip);
        return Hypervisor.Emulation.InstructionDecoding.Disassemble(Memory.GetSpan(rip, length), rip, 64, 1).Trim();
    }

    /// <summary>Stops the timers; the machine stays with its owner (the runtime's pool or the component).</summary>
    public void Dispose()
    {
        _stopReason ??= "disposed";
        StopTimer();
        _watchdog.Dispose();
        _tickTimer.Dispose();
        _wake.Dispose();
    }
}
