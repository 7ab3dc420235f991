namespace Turnstone.Devices.Timers;

/// <summary>
/// A device whose timers fire at clock times. The vCPU loop calls <see cref="Service"/> after the
/// deadline it asked for has passed (and may call it at any other time; early calls do nothing),
/// and a halted vCPU sleeps until <see cref="NextDeadlineNanoseconds"/> instead of spinning.
/// </summary>
public interface IDeadlineTimer
{
    /// <summary>The clock time of the next event this device will raise, or null when none is armed.</summary>
    long? NextDeadlineNanoseconds { get; }

    /// <summary>Raises every event whose time has come (missed periods coalesce into one) and re-arms periodic ones.</summary>
    void Service();
}
