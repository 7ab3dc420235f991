using System.CommandLine;
using System.Diagnostics;
using System.Text;
using Turnstone.Components;
using Turnstone.Hypervisor;
using Turnstone.Machine;

namespace Turnstone.Cli;

/// <summary><c>turnstone component run|call</c>: run a freestanding component in its own VM.</summary>
internal static class ComponentCommand
{
    private sealed record Limits(Option<string> Memory, Option<string> Timeout, Option<int> MaxOutput, Option<bool> Verbose, Option<string> Engine);

    public static Command Create()
    {
        var command = new Command("component", "Run TurnstoneOS-style components: freestanding x86-64 ELF programs, each alone in a VM at CPL 3 (ABI: images/components/ABI.md)");
        command.Subcommands.Add(CreateRun());
        command.Subcommands.Add(CreateCall());
        return command;
    }

    private static Limits CreateLimitOptions() => new(
        new Option<string>("--memory") { Description = "guest memory, e.g. 16M (at most 256M)", DefaultValueFactory = _ => "16M" },
        new Option<string>("--timeout") { Description = "wall-clock budget for start-up and for each call, e.g. 10s or 500ms", DefaultValueFactory = _ => "10s" },
        new Option<int>("--max-output") { Description = "largest call result or single print, in bytes (at most 1 MiB)", DefaultValueFactory = _ => 64 << 10 },
        new Option<bool>("--verbose") { Description = "print the VM's counters (exits, hypercalls, restored pages) to stderr" },
        new Option<string>("--engine") { Description = "what runs the component: kvm, soft (the software CPU, no /dev/kvm needed) or auto (KVM when /dev/kvm can be opened, else soft)", DefaultValueFactory = _ => "auto" });

    private static Command CreateRun()
    {
        var file = new Argument<string>("component") { Description = "the component's ELF file" };
        var limits = CreateLimitOptions();
        var command = new Command("run", "Run a component's start-up code. Its prints go to stdout. Exit status: the component's own EXIT status; 0 if it instead became ready to serve calls; 2 if it was stopped by a fault or a limit (the report goes to stderr); 1 if the file or options were refused.")
        {
            file, limits.Memory, limits.Timeout, limits.MaxOutput, limits.Verbose, limits.Engine,
        };
        command.SetAction(result => Execute(result, limits, result.GetValue(file)!, keepState: false, async component =>
        {
            if (component.State == ComponentState.Exited)
            {
                return component.ExitStatus!.Value & 0xFF;
            }
            Console.Error.WriteLine($"[turnstone] {component.Name} is ready on {ExecutionEngines.Name(component.Engine)}; it serves: {string.Join(", ", component.Functions.Order())}");
            return await Task.FromResult(0);
        }));
        return command;
    }

    private static Command CreateCall()
    {
        var file = new Argument<string>("component") { Description = "the component's ELF file" };
        var function = new Argument<string>("function") { Description = "the registered function to call" };
        var input = new Option<string?>("--input") { Description = "file whose bytes are the call's input (default: empty input)" };
        var text = new Option<string?>("--text") { Description = "UTF-8 text to pass as the input instead of a file" };
        var output = new Option<string?>("--output") { Description = "write the raw result to this file (default: print it as hex on stdout)" };
        var repeat = new Option<int>("--repeat") { Description = "call this many times and report the mean time per call", DefaultValueFactory = _ => 1 };
        var keepState = new Option<bool>("--keep-state") { Description = "do not restore the post-start-up snapshot before each call" };
        var limits = CreateLimitOptions();
        var command = new Command("call", "Load a component, then call one of its functions with an input and print the result. Exit status: 0 on success, 3 if the function answered with an error code, 2 if the VM was stopped by a fault or a limit, 1 if the file or options were refused.")
        {
            file, function, input, text, output, repeat, keepState, limits.Memory, limits.Timeout, limits.MaxOutput, limits.Verbose, limits.Engine,
        };
        command.SetAction(result =>
        {
            byte[] data;
            try
            {
                data = result.GetValue(text) is string s ? Encoding.UTF8.GetBytes(s)
                    : result.GetValue(input) is string path ? File.ReadAllBytes(path) : [];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return RunCommand.Fail($"--input: {e.Message}");
            }
            int count = result.GetValue(repeat);
            if (count < 1)
            {
                return RunCommand.Fail("--repeat must be at least 1");
            }
            return Execute(result, limits, result.GetValue(file)!, result.GetValue(keepState), async component =>
            {
                string name = result.GetValue(function)!;
                if (component.State != ComponentState.Ready)
                {
                    return RunCommand.Fail($"{component.Name} exited with status {component.ExitStatus} during start-up instead of serving calls");
                }
                if (!component.Functions.Contains(name))
                {
                    return RunCommand.Fail($"{component.Name} has no function '{name}'; it serves: {string.Join(", ", component.Functions.Order())}");
                }
                byte[] answer = [];
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < count; i++)
                {
                    answer = await component.CallAsync(name, data);
                }
                clock.Stop();
                if (result.GetValue(output) is string outputPath)
                {
                    File.WriteAllBytes(outputPath, answer);
                }
                else
                {
                    Console.WriteLine(Convert.ToHexString(answer).ToLowerInvariant());
                }
                if (count > 1)
                {
                    Console.Error.WriteLine($"[turnstone] {count} calls on {ExecutionEngines.Name(component.Engine)}, {clock.Elapsed.TotalMicroseconds / count:0.0} us per call");
                }
                return 0;
            });
        });
        return command;
    }

    private static int Execute(ParseResult result, Limits limits, string path, bool keepState, Func<Component, Task<int>> use)
    {
        if (!MemorySize.TryParse(result.GetValue(limits.Memory)!, out ulong memory, out string? sizeError))
        {
            return RunCommand.Fail($"--memory: {sizeError}");
        }
        if (!TryParseDuration(result.GetValue(limits.Timeout)!, out var timeout))
        {
            return RunCommand.Fail($"--timeout: '{result.GetValue(limits.Timeout)}' is not a duration such as 10s or 500ms");
        }
        if (!ExecutionEngines.TryParse(result.GetValue(limits.Engine)!, out var engine))
        {
            return RunCommand.Fail($"--engine: '{result.GetValue(limits.Engine)}' is not one of auto, kvm, soft");
        }
        var stdout = Console.OpenStandardOutput();
        var options = new ComponentOptions
        {
            Limits = new ComponentLimits { MemorySize = memory, CallTimeout = timeout, MaxOutputSize = result.GetValue(limits.MaxOutput) },
            RestoreStateBeforeEachCall = !keepState,
            Output = stdout,
            HostFunctions = BuiltInHostFunctions,
            Engine = engine,
        };
        return RunAsync(path, options, result.GetValue(limits.Verbose), use).GetAwaiter().GetResult();
    }

    /// <summary>What a component run from the command line may call on the host.</summary>
    private static readonly Dictionary<string, HostFunction> BuiltInHostFunctions = new()
    {
        ["echo"] = input => input,
    };

    private static async Task<int> RunAsync(string path, ComponentOptions options, bool verbose, Func<Component, Task<int>> use)
    {
        ComponentRuntime runtime;
        try
        {
            runtime = new ComponentRuntime(maxIdleMachines: 0, engine: options.Engine);
        }
        catch (KvmException e)
        {
            return RunCommand.Fail(e.Message);
        }
        Console.Error.WriteLine($"[turnstone] engine: {ExecutionEngines.Name(runtime.Engine)} ({runtime.EngineReason})");
        Component? component = null;
        try
        {
            component = await runtime.LoadAsync(path, options);
            return await use(component);
        }
        catch (ComponentImageException e)
        {
            return RunCommand.Fail(e.Message);
        }
        catch (ComponentFaultException e)
        {
            options.Output?.Flush();
            Console.Error.WriteLine($"turnstone: {Path.GetFileName(path)} stopped: {e.Fault}");
            return 2;
        }
        catch (ComponentCallException e)
        {
            Console.Error.WriteLine($"turnstone: {e.Message}");
            return 3;
        }
        catch (KvmException e)
        {
            return RunCommand.Fail(e.Message);
        }
        finally
        {
            if (component is not null)
            {
                if (verbose)
                {
                    var s = component.Statistics;
                    Console.Error.WriteLine($"[turnstone] exits {s.Exits}, hypercalls {s.Hypercalls}, calls {s.Calls}, timer ticks {s.TicksDelivered}, " +
                        $"snapshot pages {s.SnapshotPages}, pages restored before the last call {s.LastRestoredPages}");
                }
                await component.DisposeAsync();
            }
            runtime.Dispose();
        }
    }

    internal static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        text = text.Trim();
        (string number, double scale) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 1e-3)
            : text.EndsWith('s') ? (text[..^1], 1.0) : (text, 1.0);
        if (!double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value)
            || value <= 0 || value * scale > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }
        duration = TimeSpan.FromSeconds(value * scale);
        return true;
    }
}
