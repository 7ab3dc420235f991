using Turnstone.Devices.Timers;

namespace Turnstone.UnitTests.TestSupport;

/// <summary>A guest clock that moves only when the test moves it.</summary>
internal sealed class ManualGuestClock : IGuestClock
{
    public long NowNanoseconds { get; set; }

    public void Advance(long nanoseconds) => NowNanoseconds += nanoseconds;

    public void AdvanceMicroseconds(double microseconds) => NowNanoseconds += (long)(microseconds * 1000);
}
