namespace Turnstone.Devices.Timers;

/// <summary>Converts between nanoseconds and ticks of a fixed-frequency counter without overflow.</summary>
public static class TimeConversion
{
    public const long NanosecondsPerSecond = 1_000_000_000;

    /// <summary><paramref name="value"/> * <paramref name="multiplier"/> / <paramref name="divisor"/>, rounded down, in 128-bit arithmetic.</summary>
    public static long Scale(long value, long multiplier, long divisor) => (long)((Int128)value * multiplier / divisor);

    /// <summary>Whole ticks of a <paramref name="frequencyHz"/> counter in <paramref name="nanoseconds"/>.</summary>
    public static long TicksIn(long nanoseconds, long frequencyHz) => Scale(nanoseconds, frequencyHz, NanosecondsPerSecond);

    /// <summary>The first nanosecond by which <paramref name="ticks"/> ticks of a <paramref name="frequencyHz"/> counter have all elapsed.</summary>
    public static long NanosecondsFor(long ticks, long frequencyHz) =>
        (long)(((Int128)ticks * NanosecondsPerSecond + frequencyHz - 1) / frequencyHz);
}
