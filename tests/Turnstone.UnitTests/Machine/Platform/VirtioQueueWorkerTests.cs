using Turnstone.Machine.Platform;

namespace Turnstone.UnitTests.Machine.Platform;

/// <summary>A queue worker on its own: eventfds need no KVM, and the queue run is a delegate here.</summary>
public sealed class VirtioQueueWorkerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public void Guest_notifications_and_completion_wake_ups_are_counted_apart()
    {
        using var ran = new SemaphoreSlim(0);
        Exception? failure = null;
        using var worker = new VirtioQueueWorker("test queue", () => ran.Release(), e => failure = e);

        worker.GuestNotification.Signal();
        Assert.True(ran.Wait(Patience));
        AssertCountsReach(worker, (1L, 0L));

        worker.Completion.Signal();
        Assert.True(ran.Wait(Patience));
        AssertCountsReach(worker, (1L, 1L)); // before the next signal, so the two completions cannot coalesce
        worker.Completion.Signal();
        Assert.True(ran.Wait(Patience));
        AssertCountsReach(worker, (1L, 2L));
        Assert.Null(failure);
    }

    /// <summary>The worker counts a run once it is over, just after the run's delegate signalled the test: the
    /// counts are waited for (a read right after the signal raced with the increment and failed in CI).</summary>
    private static void AssertCountsReach(VirtioQueueWorker worker, (long GuestNotifications, long CompletionWakeUps) expected)
    {
        SpinWait.SpinUntil(() => (worker.GuestNotifications, worker.CompletionWakeUps) == expected, Patience);
        Assert.Equal(expected, (worker.GuestNotifications, worker.CompletionWakeUps));
    }

    [Fact]
    public void A_kick_and_a_completion_that_arrive_during_a_run_are_served_by_one_run_counted_as_the_guests()
    {
        using var entered = new SemaphoreSlim(0);
        using var release = new ManualResetEventSlim();
        int runs = 0;
        Exception? failure = null;
        using var worker = new VirtioQueueWorker("test queue", () =>
        {
            if (Interlocked.Increment(ref runs) == 1)
            {
                release.Wait(Patience);
            }
            entered.Release();
        }, e => failure = e);

        worker.Completion.Signal();
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref runs) == 1, Patience));
        worker.GuestNotification.Signal();
        worker.GuestNotification.Signal();
        worker.Completion.Signal();
        release.Set();
        Assert.True(entered.Wait(Patience));
        Assert.True(entered.Wait(Patience));

        Assert.False(entered.Wait(TimeSpan.FromMilliseconds(100)), "the signals that arrived during the first run took more than one run");
        Assert.Equal(2, Volatile.Read(ref runs));
        AssertCountsReach(worker, (1L, 1L));
        Assert.Null(failure);
    }

    [Fact]
    public void A_run_that_throws_is_reported_and_disposal_still_stops_the_worker()
    {
        var failures = new List<Exception>();
        using var reported = new ManualResetEventSlim();
        var worker = new VirtioQueueWorker("test queue", () => throw new InvalidOperationException("device bug"), e =>
        {
            failures.Add(e);
            reported.Set();
        });

        worker.GuestNotification.Signal();
        Assert.True(reported.Wait(Patience));
        worker.Dispose();

        Assert.Equal("device bug", Assert.Single(failures).Message);
        Assert.Throws<ObjectDisposedException>(worker.GuestNotification.Signal);
    }
}
