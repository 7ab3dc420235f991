using Turnstone.Engine;

namespace Turnstone.Bench.Engine;

/// <summary>
/// <c>turnstone bench engine</c>: the software engine's guest instructions per second on an
/// integer loop, a memory-bound loop and the CRC-32 component, each next to the same work in C
/// run natively and (for the loops) under QEMU TCG; then component create+call+destroy and warm
/// calls on the software engine next to KVM's. Every figure comes from the same run.
/// </summary>
public static class EngineBenchmark
{
    public const string QemuMethod =
        "wall time of qemu-system-x86_64 -accel tcg booting the loop guest as a PVH ELF until isa-debug-exit, " +
        "minus the same for the empty guest (same entry and exit, no loop); best of the repeats for each";

    public static EngineBenchResult Run(EngineBenchOptions options, Action<string> progress)
    {
        var rates = new List<InstructionRateRow>();
        if (options.Engines.Software)
        {
            progress($"compiling and running the loops natively (gcc -O2, best of {options.Repeats})");
            var native = NativeLoops.Run(options.IntegerIterations, options.MemoryPasses, options.Repeats);
            rates.Add(MeasureLoop(GuestLoopKind.Integer, options.IntegerIterations, native.IntegerSeconds, options, progress));
            rates.Add(MeasureLoop(GuestLoopKind.Memory, options.MemoryPasses, native.MemorySeconds, options, progress));
            if (options.ComponentsDirectory is { } directory)
            {
                rates.Add(MeasureCrc(directory, options, progress));
            }
        }

        var calls = new List<ComponentCallRow>();
        if (options.ComponentsDirectory is { } components)
        {
            ComponentBenchmark.CallFigures? soft = null, kvm = null;
            if (options.Engines.Software)
            {
                progress($"component create+call+destroy ({options.Lifecycles}) and warm calls ({options.WarmCalls}) on the software engine");
                soft = ComponentBenchmark.MeasureCallsAsync(components, EngineChoice.Soft, options.Lifecycles, options.WarmCalls).GetAwaiter().GetResult();
            }
            if (options.Engines.Kvm)
            {
                progress($"component create+call+destroy ({options.Lifecycles}) and warm calls ({options.WarmCalls}) on KVM");
                kvm = ComponentBenchmark.MeasureCallsAsync(components, EngineChoice.Kvm, options.Lifecycles, options.WarmCalls).GetAwaiter().GetResult();
            }
            calls.Add(new ComponentCallRow("create+call+destroy, checksum (us)", soft?.CreateCallDestroyMicroseconds, kvm?.CreateCallDestroyMicroseconds, "soft < 50"));
            calls.Add(new ComponentCallRow("warm call round trip (us)", soft?.WarmCallMicroseconds, kvm?.WarmCallMicroseconds, "soft < 2"));
        }
        return new EngineBenchResult(MachineDescription(), HostLoad(), options.Engines.Reason, QemuMethod, DateTimeOffset.Now, rates, calls);
    }

    private static InstructionRateRow MeasureLoop(GuestLoopKind kind, long iterations, double nativeSeconds, EngineBenchOptions options, Action<string> progress)
    {
        var guest = LoopGuest.Build(kind, iterations);
        progress($"{kind} loop on the software engine ({guest.LoopInstructions:N0} guest instructions, best of {options.Repeats})");
        SoftwareLoopRunner.Run(LoopGuest.Build(kind, Math.Min(iterations, 1000))); // the JIT settles on its optimised code
        double software = Enumerable.Range(0, options.Repeats).Min(_ => SoftwareLoopRunner.Run(guest).Seconds);

        double? qemu = null;
        string? qemuNote = null;
        if (options.Qemu is { } path)
        {
            progress($"{kind} loop and the empty guest under {path} -accel tcg (best of {options.Repeats})");
            var empty = LoopGuest.Build(kind, 0);
            double startup = Enumerable.Range(0, options.Repeats).Min(_ => QemuTcgLoopRunner.Run(path, empty));
            double loop = Enumerable.Range(0, options.Repeats).Min(_ => QemuTcgLoopRunner.Run(path, guest));
            qemu = loop - startup;
            if (qemu <= 0)
            {
                (qemu, qemuNote) = (null, $"below noise: the loop guest took {loop:F3} s, the empty one {startup:F3} s; raise the iterations");
            }
        }
        else
        {
            qemuNote = options.QemuMissingReason;
        }
        string name = kind == GuestLoopKind.Integer ? "integer loop" : $"memory loop (2 x {LoopGuest.MemoryElements * 8 >> 20} MiB)";
        return new InstructionRateRow(name, guest.LoopInstructions, software, nativeSeconds, null, qemu, qemuNote);
    }

    private static InstructionRateRow MeasureCrc(string directory, EngineBenchOptions options, Action<string> progress)
    {
        progress($"CRC-32 component over {options.CrcBytes >> 20} MiB on the software engine, and crc32_host");
        var run = ComponentBenchmark.MeasureGuestCrcAsync(directory, EngineChoice.Soft, options.CrcBytes).GetAwaiter().GetResult();
        long instructions = run.Instructions ?? throw new InvalidOperationException("the software engine did not count the CRC-32 call's instructions");
        double hostMegabytesPerSecond = ComponentBenchmark.MeasureHostCrc(directory, options.CrcBytes);
        double nativeSeconds = options.CrcBytes / (hostMegabytesPerSecond * 1e6);
        return new InstructionRateRow($"CRC-32 component ({options.CrcBytes >> 20} MiB)", instructions, run.Seconds, nativeSeconds, null, null,
            "n/a: the component needs Turnstone's hypercall ABI");
    }

    private static string MachineDescription()
    {
        string cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        return $"{Environment.ProcessorCount} cores, {cpu}, {Environment.OSVersion}";
    }

    /// <summary>The load averages at the end of the run: the figures mean little without them on a shared host.</summary>
    private static string HostLoad()
    {
        string[] fields = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ') : [];
        return fields.Length >= 3 ? $"load average {fields[0]} {fields[1]} {fields[2]} on {Environment.ProcessorCount} cores" : "unknown";
    }
}
