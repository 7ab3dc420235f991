namespace Turnstone.Machine.Platform;

/// <summary>How much queue work one virtio device did, and how long its model took for it.</summary>
/// <param name="GuestNotifications">Queue runs the guest's notify writes caused (kicks that arrive during a run coalesce).</param>
/// <param name="CompletionWakeUps">Queue runs that only the completion of requests in flight caused.</param>
public sealed record VirtioWork(string Device, long GuestNotifications, long CompletionWakeUps, TimeSpan Busy)
{
    public long Runs => GuestNotifications + CompletionWakeUps;

    public override string ToString() =>
        $"{Device} {GuestNotifications} guest notifications{(CompletionWakeUps > 0 ? $" + {CompletionWakeUps} completion wake-ups" : "")}, {Busy.TotalMilliseconds:F1} ms";
}
