using System.Diagnostics;
using Turnstone.HostIo;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Machine.Platform;

/// <summary>
/// The thread that runs one virtio queue off the vCPU. Two things wake it, on two eventfds so it
/// can tell them apart: the guest's notify write (<see cref="GuestNotification"/>, which KVM
/// signals through the queue's ioeventfd) and the completion of requests in flight
/// (<see cref="Completion"/>, which the block I/O engine signals). Either way it runs the queue
/// once; the counts keep the two causes apart, so a figure of guest notifications is not inflated
/// by the host's own completions.
/// </summary>
internal sealed class VirtioQueueWorker : IDisposable
{
    private readonly Action _runQueue;
    private readonly Action<Exception> _onFailure;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private long _guestNotifications, _completionWakeUps, _busyTicks;

    /// <param name="runQueue">Runs the queue (the transport's Notify); called on the worker thread only.</param>
    /// <param name="onFailure">Told when <paramref name="runQueue"/> throws (a monitor bug); the worker then ends.</param>
    public VirtioQueueWorker(string name, Action runQueue, Action<Exception> onFailure)
    {
        _runQueue = runQueue;
        _onFailure = onFailure;
        _thread = new Thread(Serve) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Signalled by the guest's notify write: register it as the queue's ioeventfd.</summary>
    public EventFd GuestNotification { get; } = new();

    /// <summary>Signalled by the host when a request in flight for this queue has finished.</summary>
    public EventFd Completion { get; } = new();

    /// <summary>Finished runs of the queue the guest's notify write asked for (kicks that arrive while the queue runs coalesce into the next run).</summary>
    public long GuestNotifications => Interlocked.Read(ref _guestNotifications);

    /// <summary>Finished runs of the queue that only completions of requests in flight caused, with no guest notification pending.</summary>
    public long CompletionWakeUps => Interlocked.Read(ref _completionWakeUps);

    /// <summary>Time spent running the queue: the device model's share of the I/O.</summary>
    public TimeSpan Busy => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _busyTicks));

    private void Serve()
    {
        try
        {
            while (EventFd.WaitEither(GuestNotification, Completion, out ulong kicks, out _) && !_stopping)
            {
                long start = Stopwatch.GetTimestamp();
                _runQueue();
                Interlocked.Add(ref _busyTicks, Stopwatch.GetTimestamp() - start);
                // Counted once the run is over, so whoever reads a count also sees what that run did.
                // A guest kick and a completion together count as the guest's: the run served the kick.
                Interlocked.Increment(ref kicks > 0 ? ref _guestNotifications : ref _completionWakeUps);
            }
        }
        catch (Exception e) when (!_stopping)
        {
            _onFailure(e);
        }
    }

    /// <summary>
    /// Stops the thread and waits for it, then closes the eventfds. Whoever registered
    /// <see cref="GuestNotification"/> with KVM or handed <see cref="Completion"/> to an I/O engine
    /// must have withdrawn it first, or the descriptor stays open until they do.
    /// </summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }
        _stopping = true;
        GuestNotification.Signal();
        _thread.Join();
        GuestNotification.Dispose();
        Completion.Dispose();
    }
}
