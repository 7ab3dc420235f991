namespace Turnstone.Bench.Boot;

/// <summary>One boot that reached init: seconds from process start to the marker, the guest's
/// uptime the marker carries, and (for our runs) the figures of <c>turnstone run</c>'s summary.</summary>
public sealed record BootSample(double ToInitSeconds, double? GuestUptimeSeconds, double WallSeconds, RunSummaryFigures? Summary);
