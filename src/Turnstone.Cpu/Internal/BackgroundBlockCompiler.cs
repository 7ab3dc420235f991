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
    private static readonly BlockingCollection<(DecodedBlock Block, Func<DecodedInstruction[], CompiledBlock?> Compile)> Queue = new(MaxQueued);
    private static readonly Lazy<Thread> Worker = new(StartWorker);
    private static long _published;

    /// <summary>Compiled blocks handed to their CPUs so far, in this process.</summary>
    public static long Published => Interlocked.Read(ref _published);

    public static void Enqueue(DecodedBlock block, Func<DecodedInstruction[], CompiledBlock?> compile)
    {
        _ = Worker.Value;
        Queue.TryAdd((block, compile));
    }

    /// <summary>
    /// A DynamicMethod is compiled to machine code at its first call, on the calling thread: left to
    /// the vCPU, the JIT took about a seventh of its time in a Linux boot. A call with a negative
    /// budget returns before it touches anything. A method the runtime refuses throws here and
    /// again at its first real run, where <c>RunCompiled</c> sends the block back to the interpreter.
    /// </summary>
    private static void JitHere(CompiledBlock compiled)
    {
        try
        {
            compiled(null!, -1);
        }
        catch (InvalidProgramException)
        {
        }
    }

    private static Thread StartWorker()
    {
        var thread = new Thread(() =>
        {
            foreach (var (block, compile) in Queue.GetConsumingEnumerable())
            {
                if (CompiledCodeCache.GetOrCompile(block, compile) is { } compiled && block.Valid)
                {
                    JitHere(compiled);
                    Volatile.Write(ref block.Compiled, compiled);
                    Interlocked.Increment(ref _published);
                }
            }
        })
        { Name = "block compiler", IsBackground = true, Priority = ThreadPriority.BelowNormal };
        thread.Start();
        return thread;
    }
}
