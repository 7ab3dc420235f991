using System.Collections.Concurrent;

namespace Turnstone.Components;

/// <summary>
/// The thread that owns a <see cref="ComponentMachine"/>'s vCPU (KVM binds a vCPU to the thread
/// that runs it, and the kick signal targets that thread). Work is queued to it and completes a
/// task. Between work items it spins briefly before sleeping, so a caller issuing calls back to
/// back finds it awake: a thread wake-up costs tens of microseconds on nested hosts.
/// </summary>
internal sealed class ComponentWorker
{
    private readonly BlockingCollection<Action> _work = new();
    // Work queued by the worker itself (a caller's continuation running here issuing its next
    // call): no other thread touches it, so it needs no lock or wake-up.
    private readonly Queue<Action> _ownWork = new();
    private readonly Thread _thread;

    public ComponentWorker()
    {
        _thread = new Thread(Serve) { Name = "turnstone component", IsBackground = true };
        _thread.Start();
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the worker thread. The task completes on that thread too, so
    /// an awaiting caller's continuation runs there without another wake-up; such continuations must
    /// not block waiting for this worker.
    /// </summary>
    public Task<T> Run<T>(Func<T> work)
    {
        var completion = new TaskCompletionSource<T>();
        Action item = () =>
        {
            try
            {
                completion.SetResult(work());
            }
            catch (Exception e)
            {
                completion.SetException(e);
            }
        };
        if (IsCurrentThread && !_work.IsAddingCompleted)
        {
            _ownWork.Enqueue(item);
            return completion.Task;
        }
        try
        {
            _work.Add(item);
        }
        catch (InvalidOperationException)
        {
            completion.SetException(new ObjectDisposedException("component", "the component has been disposed"));
        }
        return completion.Task;
    }

    public Task Run(Action work) => Run(() =>
    {
        work();
        return true;
    });

    public bool IsCurrentThread => Thread.CurrentThread == _thread;

    /// <summary>Lets queued work finish, then ends the thread.</summary>
    public void Stop()
    {
        _work.CompleteAdding();
        if (!IsCurrentThread)
        {
            _thread.Join();
        }
    }

    private void Serve()
    {
        while (NextWork() is Action work)
        {
            work();
        }
    }

    private Action? NextWork()
    {
        if (_ownWork.TryDequeue(out var own))
        {
            return own;
        }
        long spinUntil = Environment.TickCount64 + 1;
        var spinner = new SpinWait();
        while (Environment.TickCount64 <= spinUntil)
        {
            if (_work.TryTake(out var work))
            {
                return work;
            }
            if (_work.IsCompleted)
            {
                return null;
            }
            spinner.SpinOnce(sleep1Threshold: -1);
        }
        return _work.TryTake(out var next, Timeout.Infinite) ? next : null;
    }
}
