using System.Diagnostics;

namespace Turnstone.Devices.Timers;

/// <summary>The host's monotonic clock (<see cref="Stopwatch"/>), in nanoseconds since this object was made.</summary>
public sealed class HostMonotonicClock : IGuestClock
{
    private readonly long _origin = Stopwatch.GetTimestamp();

    public long NowNanoseconds => TimeConversion.Scale(Stopwatch.GetTimestamp() - _origin, TimeConversion.NanosecondsPerSecond, Stopwatch.Frequency);
}
