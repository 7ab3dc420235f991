using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Turnstone.Components;
using Turnstone.Engine;

namespace Turnstone.Bench;

/// <summary>
/// The component figures issue #4 asks for, measured through the public API with the sample
/// components (images/components): create+call+destroy, a warm call with and without snapshot
/// restore, and CRC-32 throughput inside the VM against the same C code on the host
/// (crc32_host). Callers put them next to the C floor measured in the same run.
/// </summary>
public static partial class ComponentBenchmark
{
    public sealed record Figures(
        double CreateCallDestroyMicroseconds,
        double CreateCallDestroyFreshVmMicroseconds,
        double WarmCallMicroseconds,
        double WarmCallWithRestoreMicroseconds,
        int PagesRestoredPerCall,
        double GuestCrcMegabytesPerSecond,
        double HostCrcMegabytesPerSecond);

    /// <summary>create+call+destroy (recycled machines) and a warm call without restore, on one engine.</summary>
    public sealed record CallFigures(double CreateCallDestroyMicroseconds, double WarmCallMicroseconds);

    /// <summary>One checksum_repeat call over <paramref name="Bytes"/>: its wall time and, on engines
    /// that count them, the guest instructions it retired.</summary>
    public sealed record CrcRun(long Bytes, double Seconds, long? Instructions)
    {
        public double MegabytesPerSecond => Bytes / Seconds / 1e6;
    }

    public const int CallInputBytes = 64;

    /// <summary>The call figures on <paramref name="engine"/> (for <c>turnstone bench engine</c>, which
    /// puts the software engine next to KVM); each measurement follows a warm-up of the same size.</summary>
    public static async Task<CallFigures> MeasureCallsAsync(string componentsDirectory, EngineChoice engine, int lifecycles, int warmCalls)
    {
        byte[] checksum = await File.ReadAllBytesAsync(Path.Combine(componentsDirectory, "checksum.elf"));
        var input = new byte[CallInputBytes];
        new Random(1).NextBytes(input);
        using var runtime = new ComponentRuntime(engine: engine);
        await Lifecycle(runtime, checksum, input, lifecycles);
        double lifecycle = await Lifecycle(runtime, checksum, input, lifecycles);
        var (warm, _) = await WarmCalls(runtime, checksum, input, warmCalls, restore: false);
        return new CallFigures(lifecycle, warm);
    }

    /// <summary>CRC-32 over <paramref name="crcBytes"/> in checksum.elf on <paramref name="engine"/>.</summary>
    public static async Task<CrcRun> MeasureGuestCrcAsync(string componentsDirectory, EngineChoice engine, long crcBytes)
    {
        byte[] checksum = await File.ReadAllBytesAsync(Path.Combine(componentsDirectory, "checksum.elf"));
        using var runtime = new ComponentRuntime(engine: engine);
        return await GuestCrc(runtime, checksum, crcBytes);
    }

    /// <summary>The same CRC-32 C code on the host (crc32_host from the components directory), MB/s.</summary>
    public static double MeasureHostCrc(string componentsDirectory, long crcBytes) =>
        HostCrc(Path.Combine(componentsDirectory, "crc32_host"), crcBytes);

    public static async Task<Figures> MeasureAsync(string componentsDirectory, int lifecycles, int warmCalls, long crcBytes, Action<string>? progress = null)
    {
        byte[] checksum = await File.ReadAllBytesAsync(Path.Combine(componentsDirectory, "checksum.elf"));
        string hostCrc = Path.Combine(componentsDirectory, "crc32_host");
        var input = new byte[CallInputBytes];
        new Random(1).NextBytes(input);
        // KVM, explicitly: these figures stand next to the KVM C floor (the software engine has no --engine here yet).
        using var runtime = new ComponentRuntime(engine: EngineChoice.Kvm);
        using var freshVms = new ComponentRuntime(maxIdleMachines: 0, engine: EngineChoice.Kvm);

        progress?.Invoke($"create+call+destroy of checksum.elf, {lifecycles} times with recycled VMs and with fresh ones");
        await Lifecycle(runtime, checksum, input, lifecycles); // warm-up: until the JIT has settled
        double lifecycle = await Lifecycle(runtime, checksum, input, lifecycles);
        await Lifecycle(freshVms, checksum, input, Math.Max(lifecycles / 10, 5)); // KVM dominates here
        double fresh = await Lifecycle(freshVms, checksum, input, lifecycles);

        progress?.Invoke($"warm calls, {warmCalls} each with and without snapshot restore");
        var (warm, _) = await WarmCalls(runtime, checksum, input, warmCalls, restore: false);
        var (restored, pages) = await WarmCalls(runtime, checksum, input, warmCalls, restore: true);

        progress?.Invoke($"CRC-32 over {crcBytes >> 20} MiB in the VM and on the host");
        double guest = (await GuestCrc(runtime, checksum, crcBytes)).MegabytesPerSecond;
        double host = HostCrc(hostCrc, crcBytes);
        return new Figures(lifecycle, fresh, warm, restored, pages, guest, host);
    }

    private static async Task<double> Lifecycle(ComponentRuntime runtime, byte[] elf, byte[] input, int count)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            await using var component = await runtime.LoadAsync(elf, new ComponentOptions(), "checksum.elf");
            await component.CallAsync("checksum", input);
        }
        return clock.Elapsed.TotalMicroseconds / count;
    }

    private static async Task<(double Microseconds, int Pages)> WarmCalls(ComponentRuntime runtime, byte[] elf, byte[] input, int count, bool restore)
    {
        await using var component = await runtime.LoadAsync(elf, new ComponentOptions { RestoreStateBeforeEachCall = restore }, "checksum.elf");
        for (int i = 0; i < 20_000; i++) // until the JIT has settled on its optimised code
        {
            await component.CallAsync("checksum", input);
        }
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            await component.CallAsync("checksum", input);
        }
        return (clock.Elapsed.TotalMicroseconds / count, component.Statistics.LastRestoredPages);
    }

    /// <summary>The payload fills the 1 MiB input area after checksum_repeat's 8-byte length.</summary>
    private const int CrcPayloadBytes = ComponentLayout.MaxAreaSize - 8;

    /// <summary>checksum_repeat until <paramref name="totalBytes"/>: one call, so its single exit and the
    /// 1 MiB input copy are a vanishing share of the time.</summary>
    private static async Task<CrcRun> GuestCrc(ComponentRuntime runtime, byte[] elf, long totalBytes)
    {
        var input = new byte[8 + CrcPayloadBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(input, (ulong)totalBytes);
        for (int i = 0; i < CrcPayloadBytes; i++)
        {
            input[8 + i] = (byte)(i * 31 + 7); // crc32_host's payload
        }
        var options = new ComponentOptions
        {
            RestoreStateBeforeEachCall = false,
            Limits = new ComponentLimits { MaxInputSize = input.Length, CallTimeout = TimeSpan.FromMinutes(5) },
        };
        await using var component = await runtime.LoadAsync(elf, options, "checksum.elf");
        var warmUp = (byte[])input.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(warmUp, CrcPayloadBytes);
        await component.CallAsync("checksum_repeat", warmUp);
        long? before = component.Statistics.InstructionsRetired;
        var clock = Stopwatch.StartNew();
        await component.CallAsync("checksum_repeat", input);
        double seconds = clock.Elapsed.TotalSeconds;
        long? after = component.Statistics.InstructionsRetired;
        return new CrcRun(totalBytes, seconds, after - before);
    }

    private static double HostCrc(string program, long totalBytes)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(totalBytes.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(CrcPayloadBytes.ToString(CultureInfo.InvariantCulture));
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program}");
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var match = HostMbps().Match(output);
        return process.ExitCode == 0 && match.Success
            ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"{program} failed ({process.ExitCode}): {output}{process.StandardError.ReadToEnd()}");
    }

    [GeneratedRegex(@"mbps=([0-9.]+)")]
    private static partial Regex HostMbps();
}
