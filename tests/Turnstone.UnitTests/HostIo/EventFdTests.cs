using Turnstone.HostIo;

namespace Turnstone.UnitTests.HostIo;

/// <summary>The eventfd wrapper on its own: eventfd(2) needs no KVM.</summary>
public sealed class EventFdTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public void Wait_returns_the_number_of_signals_and_resets_the_counter()
    {
        using var fd = new EventFd();
        fd.Signal();
        fd.Signal();
        fd.Signal();

        Assert.Equal(3ul, fd.Wait());
        Assert.False(fd.TryRead(out ulong left));
        Assert.Equal(0ul, left);
    }

    [Fact]
    public void TryRead_takes_the_count_without_blocking()
    {
        using var fd = new EventFd();
        Assert.False(fd.TryRead(out _));

        fd.Signal();
        Assert.True(fd.TryRead(out ulong count));
        Assert.Equal(1ul, count);
        Assert.False(fd.TryRead(out _));
    }

    [Fact]
    public async Task Wait_blocks_until_another_thread_signals()
    {
        using var fd = new EventFd();
        var waiter = Task.Factory.StartNew(fd.Wait, TaskCreationOptions.LongRunning);
        await Task.Delay(100);
        Assert.False(waiter.IsCompleted, "Wait returned before any signal");

        fd.Signal();

        Assert.Equal(1ul, await waiter.WaitAsync(Patience));
    }

    [Fact]
    public async Task Dispose_wakes_every_blocked_waiter_with_zero()
    {
        var fd = new EventFd();
        var waiters = Enumerable.Range(0, 2).Select(_ => Task.Factory.StartNew(fd.Wait, TaskCreationOptions.LongRunning)).ToArray();
        await Task.Delay(100);
        Assert.DoesNotContain(waiters, w => w.IsCompleted);

        fd.Dispose();

        ulong[] counts = await Task.WhenAll(waiters).WaitAsync(Patience);
        Assert.Equal([0ul, 0ul], counts);
    }

    [Fact]
    public void WaitEither_takes_both_counters_and_says_which_was_signalled()
    {
        using var first = new EventFd();
        using var second = new EventFd();
        second.Signal();
        second.Signal();

        Assert.True(EventFd.WaitEither(first, second, out ulong firstCount, out ulong secondCount));
        Assert.Equal((0ul, 2ul), (firstCount, secondCount));

        first.Signal();
        second.Signal();
        Assert.True(EventFd.WaitEither(first, second, out firstCount, out secondCount));
        Assert.Equal((1ul, 1ul), (firstCount, secondCount));
        Assert.False(first.TryRead(out _) || second.TryRead(out _));
    }

    [Fact]
    public async Task WaitEither_blocks_until_one_is_signalled_and_stops_when_one_is_disposed()
    {
        using var first = new EventFd();
        var second = new EventFd();
        var signalled = Task.Factory.StartNew(() => EventFd.WaitEither(first, second, out _, out _), TaskCreationOptions.LongRunning);
        await Task.Delay(100);
        Assert.False(signalled.IsCompleted, "WaitEither returned before any signal");
        first.Signal();
        Assert.True(await signalled.WaitAsync(Patience));

        using var waiting = new ManualResetEventSlim();
        var stopped = Task.Factory.StartNew(() =>
        {
            waiting.Set();
            return EventFd.WaitEither(first, second, out _, out _);
        }, TaskCreationOptions.LongRunning);
        // Disposed while the waiter blocks, not before it starts (that would be ObjectDisposedException).
        Assert.True(waiting.Wait(Patience));
        await Task.Delay(100);
        second.Dispose();
        Assert.False(await stopped.WaitAsync(Patience));
    }

    [Fact]
    public void Use_after_dispose_is_an_ObjectDisposedException()
    {
        var fd = new EventFd();
        fd.Dispose();
        fd.Dispose();

        Assert.Throws<ObjectDisposedException>(fd.Signal);
        Assert.Throws<ObjectDisposedException>(() => fd.Wait());
        Assert.Throws<ObjectDisposedException>(() => fd.TryRead(out _));
    }
}
