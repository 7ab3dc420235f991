namespace Turnstone.Bench.Boot;

/// <summary>One boot that reached init: seconds from process start to the marker, the guest's
/// uptime the marker carries, (for our runs) the figures of <c>turnstone run</c>'s summary, and
/// the most memory beyond guest RAM the process was seen to hold (<see cref="ProcessMemory"/>).</summary>
public sealed record BootSample(double ToInitSeconds, double? GuestUptimeSeconds, double WallSeconds, RunSummaryFigures? Summary,
    long? PeakBeyondGuestRamBytes = null);
