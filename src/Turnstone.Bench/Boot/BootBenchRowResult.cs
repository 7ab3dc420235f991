namespace Turnstone.Bench.Boot;

/// <summary>
/// One row of <c>bench boot</c>: a kernel on one of our engines, every sample of ours and of QEMU
/// TCG's boots of the same kernel, initramfs and command line, and the figures the table shows.
/// A figure that was not measured is null, with the reason in <see cref="TurnstoneProblem"/> or
/// <see cref="QemuNote"/>; none is ever estimated.
/// </summary>
public sealed record BootBenchRowResult(
    string Kernel,
    string KernelPath,
    string Engine,
    string CommandLine,
    string TurnstoneInvocation,
    string QemuInvocation,
    IReadOnlyList<BootSample> Turnstone,
    IReadOnlyList<BootSample> Qemu,
    string? TurnstoneProblem,
    string? QemuNote)
{
    /// <summary>Issue 12's targets: to init within 3x of QEMU TCG on the software engine, and the
    /// monitor's own memory beyond guest RAM under 40 MiB.</summary>
    public const double TimeRatioTarget = 3.0;
    public const long MemoryTargetMebibytes = 40;

    public SampleSpread? ToInit => SampleSpread.Of(Turnstone.Select(s => s.ToInitSeconds));

    public SampleSpread? BootTimer => SampleSpread.Of(Turnstone.Select(s => s.Summary?.BootTimerSeconds).OfType<double>());

    public SampleSpread? QemuToInit => SampleSpread.Of(Qemu.Select(s => s.ToInitSeconds));

    /// <summary>Our median over QEMU's, when both were measured.</summary>
    public double? Ratio => ToInit is { } ours && QemuToInit is { Median: > 0 } theirs ? ours.Median / theirs.Median : null;

    public double? GuestInstructions => SampleSpread.Of(Turnstone.Select(s => s.Summary?.GuestInstructions).OfType<long>().Select(c => (double)c))?.Median;

    public double? InstructionsPerSecond => SampleSpread.Of(Turnstone.Select(s => s.Summary?.InstructionsPerSecond).OfType<double>())?.Median;

    /// <summary>Our monitor's resident memory beyond guest RAM, the largest seen in any run (sampled
    /// from outside, <see cref="ProcessMemory"/>): the target is a ceiling.</summary>
    public long? MonitorBeyondGuestRamMebibytes => PeakMebibytes(Turnstone);

    /// <summary>QEMU's, measured the same way in the same runs' turns: the baseline.</summary>
    public long? QemuBeyondGuestRamMebibytes => PeakMebibytes(Qemu);

    /// <summary>Ours over QEMU's, when both were measured.</summary>
    public double? MemoryRatio => MonitorBeyondGuestRamMebibytes is { } ours && QemuBeyondGuestRamMebibytes is { } theirs and > 0
        ? (double)ours / theirs : null;

    private static long? PeakMebibytes(IReadOnlyList<BootSample> samples) =>
        samples.Select(s => s.PeakBeyondGuestRamBytes).Max() is { } bytes ? bytes >> 20 : null;

    /// <summary>Whether the time target is met; null where it does not apply (KVM rows) or the ratio is missing.</summary>
    public bool? MeetsTimeTarget => Engine == "soft" && Ratio is { } ratio ? ratio <= TimeRatioTarget : null;

    public bool? MeetsMemoryTarget => MonitorBeyondGuestRamMebibytes is { } mebibytes ? mebibytes < MemoryTargetMebibytes : null;
}
