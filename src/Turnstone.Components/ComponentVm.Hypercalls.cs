using System.Diagnostics;
using System.Text;
using Turnstone.GuestMemory;

namespace Turnstone.Components;

internal sealed partial class ComponentVm
{
    private const int MaxNameLength = 64, MaxFunctions = 256;
    private const ulong MinimumTimerPeriodNs = 100_000, MaximumTimerPeriodNs = 3_600_000_000_000;

    /// <summary>
    /// One hypercall: arguments from the synced registers, every pointer checked against the
    /// component's pages before the host touches it. Returns where to stop (READY or EXIT) or
    /// null to resume the component with the result in RAX.
    /// </summary>
    private StopPoint? HandleHypercall()
    {
        ref var r = ref _machine.Vcpu.Registers;
        Statistics.Hypercalls++;
        long result;
        switch ((Hypercall)r.Rax)
        {
            case Hypercall.Exit:
                return new StopPoint(Hypercall.Exit, r.Rdi);
            case Hypercall.Ready:
                return Ready((long)r.Rdi);
            case Hypercall.Print:
                result = Print(r.Rdi, r.Rsi);
                break;
            case Hypercall.HostCall:
                result = CallHost(r.Rdi, r.Rsi, r.Rdx, r.Rcx, r.R8, r.R9);
                break;
            case Hypercall.Register:
                result = Register(r.Rdi, r.Rsi, r.Rdx);
                break;
            case Hypercall.Clock:
                result = (long)(_clock.Elapsed.Ticks * (1_000_000_000 / TimeSpan.TicksPerSecond));
                break;
            case Hypercall.Halt:
                result = Halt(r.Rdi);
                break;
            case Hypercall.Timer:
                result = StartTimer(r.Rdi, r.Rsi);
                break;
            case Hypercall.TimerReturn:
                ReturnFromTimerHandler(ref r);
                return null;
            default:
                throw Stop(ComponentFaultKind.BadHypercall, $"unknown hypercall number {r.Rax}");
        }
        r.Rax = (ulong)result;
        _machine.Vcpu.MarkRegistersDirty();
        return null;
    }

    private StopPoint? Ready(long result)
    {
        if (State == ComponentState.Calling && result > _options.Limits.MaxOutputSize)
        {
            throw Stop(ComponentFaultKind.OutputLimitExceeded,
                $"the call returned {result} bytes; the output limit is {_options.Limits.MaxOutputSize}");
        }
        if (_inTimerHandler)
        {
            throw Stop(ComponentFaultKind.BadHypercall, "READY inside a timer handler");
        }
        return new StopPoint(Hypercall.Ready, (ulong)result);
    }

    private long Print(ulong pointer, ulong length)
    {
        if (length > (ulong)_options.Limits.MaxOutputSize)
        {
            throw Stop(ComponentFaultKind.OutputLimitExceeded, $"a print of {length} bytes; the output limit is {_options.Limits.MaxOutputSize}");
        }
        var text = GuestBytes(pointer, length, write: false, "PRINT buffer");
        _options.Output?.Write(text);
        Statistics.PrintedBytes += (long)length;
        return (long)length;
    }

    private long CallHost(ulong namePointer, ulong nameLength, ulong input, ulong inputLength, ulong output, ulong outputCapacity)
    {
        string name = GuestName(namePointer, nameLength);
        var inputBytes = GuestBytes(input, inputLength, write: false, "HOST_CALL input");
        var outputBytes = GuestBytes(output, outputCapacity, write: true, "HOST_CALL output");
        if (!_options.HostFunctions.TryGetValue(name, out var function))
        {
            return ComponentErrors.NoSuchFunction;
        }
        byte[] answer;
        try
        {
            answer = function(inputBytes.ToArray());
        }
        catch (Exception e)
        {
            Statistics.LastHostFunctionError = $"{name}: {e.Message}";
            return ComponentErrors.HostFunctionFailed;
        }
        if (answer.Length > outputBytes.Length)
        {
            return ComponentErrors.ResultTooLarge;
        }
        answer.CopyTo(outputBytes);
        return answer.Length;
    }

    private long Register(ulong namePointer, ulong nameLength, ulong function)
    {
        string name = GuestName(namePointer, nameLength);
        if (!_space.IsExecutable(function))
        {
            throw Stop(ComponentFaultKind.BadHypercall, $"REGISTER '{name}' with address 0x{function:x}, which is not in the component's text");
        }
        if (State != ComponentState.Initialising || (_functions.Count >= MaxFunctions && !_functions.ContainsKey(name)))
        {
            return ComponentErrors.InvalidArgument;
        }
        _functions[name] = function;
        return 0;
    }

    /// <summary>Waits until a timer tick, the timeout, or the end of the call's budget.</summary>
    private long Halt(ulong timeoutNs)
    {
        long until = timeoutNs == 0 ? long.MaxValue
            : Stopwatch.GetTimestamp() + (long)Math.Min(timeoutNs / 1e9 * Stopwatch.Frequency, long.MaxValue / 2);
        while (true)
        {
            _wake.Reset();
            if (Volatile.Read(ref _pendingTicks) > 0)
            {
                return 0;
            }
            CheckLimits();
            long now = Stopwatch.GetTimestamp();
            if (now >= until)
            {
                return 0;
            }
            long wakeAt = Math.Min(until, _deadline);
            double seconds = Math.Clamp((wakeAt - now) / (double)Stopwatch.Frequency, 0, 1); // the loop re-checks
            _wake.Wait(TimeSpan.FromSeconds(seconds) + TimeSpan.FromMilliseconds(1));
        }
    }

    private Span<byte> GuestBytes(ulong pointer, ulong length, bool write, string what)
    {
        if (length == 0)
        {
            return [];
        }
        if (length > int.MaxValue || !_space.IsAccessible(pointer, length, write))
        {
            throw Stop(ComponentFaultKind.BadHypercall,
                $"{what} 0x{pointer:x}+{length} is outside the component's {(write ? "writable" : "readable")} memory");
        }
        return Memory.GetSpan(pointer, (int)length);
    }

    private string GuestName(ulong pointer, ulong length)
    {
        if (length is 0 or > MaxNameLength)
        {
            throw Stop(ComponentFaultKind.BadHypercall, $"a function name of {length} bytes (1 to {MaxNameLength} allowed)");
        }
        return Encoding.UTF8.GetString(GuestBytes(pointer, length, write: false, "function name"));
    }
}
