namespace Turnstone.UnitTests.Firmware.Bios;

/// <summary>A clock the test moves by hand: wall time and the monotonic timestamp advance together.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;
    private long _timestamp = 1_000_000;

    public override long TimestampFrequency => 1_000_000; // microseconds

    public override DateTimeOffset GetUtcNow() => _now;

    public override long GetTimestamp() => _timestamp;

    public void Advance(TimeSpan by)
    {
        _now += by;
        _timestamp += (long)by.TotalMicroseconds;
    }
}
