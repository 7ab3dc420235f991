using System.Collections.Concurrent;

namespace Turnstone.Cpu.Internal;

/// <summary>
/// Compiles blocks on a thread of its own, so a vCPU never waits for the IL emission and the JIT:
/// it keeps interpreting a block until its compiled form appears (a Linux boot warms tens of
/// thousands of blocks; compiling each where it got hot stalled the vCPU longer than it gained).
/// One thread for the process, at below-normal priority; a full queue drops requests (the block
/// stays interpreted).
/// </summary>
internal static class BackgroundBlockCompiler
{
    private const int MaxQueued = 4096;
    private static readonly BlockingCollection<Action> Queue = new(MaxQueued);
    private static readonly Lazy<Thread> Worker = new(StartWorker);
    private static long _published;

    /// <summary>Compiled blocks handed to their CPUs so far, in this process.</summary>
    public static long Published => Interlocked.Read(ref _published);

    public static void Enqueue(DecodedBlock block, Func<DecodedInstruction[], CompiledBlock?> compile)
    {
        _ = Worker.Value;
        Queue.TryAdd(() =>
        {
            // GetOrCompile also has the JIT compile the new method here (the JIT took about a
            // seventh of the vCPU's time in a Linux boot when left to its first call).
            if (CompiledCodeCache.GetOrCompile(block, compile) is { } compiled && block.Valid)
            {
                block.Install(compiled);
                Interlocked.Increment(ref _published);
            }
        });
    }

    /// <summary>Queues other work for a block (its translation to host code, which its vCPU adopts).</summary>
    public static void Enqueue(DecodedBlock block, Action<DecodedBlock> work)
    {
        _ = Worker.Value;
        Queue.TryAdd(() => work(block));
    }

    private static Thread StartWorker()
    {
        var thread = new Thread(() =>
        {
            foreach (Action work in Queue.GetConsumingEnumerable())
            {
                work();
            }
        })
        { Name = "block compiler", IsBackground = true, Priority = ThreadPriority.BelowNormal };
        thread.Start();
        return thread;
    }
}
