using Turnstone.Bench.Boot;

namespace Turnstone.Bench.Bios;

/// <summary>
/// One row of <c>bench bios</c>: an image on one of our engines, every sample of ours and of QEMU
/// + SeaBIOS's boots of copies of the same image, and the figures the table shows. A figure that
/// was not measured is null, with the reason in <see cref="TurnstoneProblem"/> or
/// <see cref="QemuNote"/>; none is ever estimated.
/// </summary>
public sealed record BiosBenchRowResult(
    string Image,
    string ImagePath,
    string Engine,
    string Marker,
    string TurnstoneInvocation,
    string QemuInvocation,
    IReadOnlyList<BootSample> Turnstone,
    IReadOnlyList<BootSample> Qemu,
    string? TurnstoneProblem,
    string? QemuNote)
{
    /// <summary>Issue 13's targets: the whole boot no slower than QEMU with SeaBIOS on the same
    /// engine class, and the firmware's own share under 5 ms.</summary>
    public const double TimeRatioTarget = 1.0;
    public const double FirmwareTargetMilliseconds = 5.0;

    public SampleSpread? ToInit => SampleSpread.Of(Turnstone.Select(s => s.ToInitSeconds));

    public SampleSpread? QemuToInit => SampleSpread.Of(Qemu.Select(s => s.ToInitSeconds));

    /// <summary>Our median over QEMU's, when both were measured.</summary>
    public double? Ratio => ToInit is { } ours && QemuToInit is { Median: > 0 } theirs ? ours.Median / theirs.Median : null;

    /// <summary>The firmware's own time (POST and every BIOS call the monitor handled), from the run summaries that report it.</summary>
    public SampleSpread? BiosMilliseconds => SampleSpread.Of(Turnstone.Select(s => s.Summary?.BiosMilliseconds).OfType<double>());

    /// <summary>The part of <see cref="BiosMilliseconds"/> the disk services spent copying sectors, and how many MiB (medians).</summary>
    public SampleSpread? BiosDiskMilliseconds => SampleSpread.Of(Turnstone.Select(s => s.Summary?.BiosDiskMilliseconds).OfType<double>());

    public double? BiosDiskMebibytes => SampleSpread.Of(Turnstone.Select(s => s.Summary?.BiosDiskMebibytes).OfType<double>())?.Median;

    public double? BiosCalls => SampleSpread.Of(Turnstone.Select(s => s.Summary?.BiosCalls).OfType<long>().Select(c => (double)c))?.Median;

    /// <summary>When the kernel was entered, in seconds on the run summary's clock (from the machine's start): the
    /// first switch to long mode; the software engine's summary alone has it.</summary>
    public SampleSpread? KernelEntered => SampleSpread.Of(Turnstone.Select(s => s.Summary?.KernelEnteredSeconds).OfType<double>());

    public bool? MeetsTimeTarget => TurnstoneProblem is null && Ratio is { } ratio ? ratio <= TimeRatioTarget : null;

    public bool? MeetsFirmwareTarget => TurnstoneProblem is null && BiosMilliseconds is { } bios ? bios.Median < FirmwareTargetMilliseconds : null;
}
