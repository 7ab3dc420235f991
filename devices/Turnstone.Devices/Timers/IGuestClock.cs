namespace Turnstone.Devices.Timers;

/// <summary>
/// The time every guest timer reads: a monotonic count of nanoseconds from an arbitrary origin.
/// The machine passes <see cref="HostMonotonicClock"/>, so guest time follows host time; tests pass a
/// fake they move by hand, so timer behaviour is checked without sleeping.
/// </summary>
public interface IGuestClock
{
    long NowNanoseconds { get; }
}
