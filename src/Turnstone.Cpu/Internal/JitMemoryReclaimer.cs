using System.Runtime.InteropServices;

namespace Turnstone.Cpu.Internal;

/// <summary>
/// Gives the JIT's scratch memory back to the host once the JIT has stopped needing it.
/// The runtime keeps up to 16 MiB of the JIT's freed working memory ("slabs") for reuse and
/// frees what has lain unused for two seconds only when its finalizer thread wakes, which a
/// program that allocates as little as this engine rarely makes it do; and glibc then keeps the
/// freed pages in the thread arena they came from. The engine's warm-up (a few hundred large
/// methods, Execute among them) leaves about 11 MiB there, resident for the whole run: the
/// minimal kernel at its shell measured 80-81 MiB beyond guest RAM, and 70 MiB five seconds later
/// with this thread (2026-12-07). Every 2.1 s it wakes the finalizer thread (so the runtime frees
/// slabs unused since the wake before) and asks glibc to return free pages (malloc_trim). The JIT
/// keeps reusing the slabs it needs in between.
/// </summary>
internal static partial class JitMemoryReclaimer
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(2.1);

    /// <summary>Never returns: the engine's warm-up thread (once per process) runs it when it is done compiling.</summary>
    public static void ReclaimForever()
    {
        bool trimAvailable = true;
        while (true)
        {
            Thread.Sleep(Period);
            // The runtime's slab cache is flushed on the finalizer thread, before it runs finalizers.
            GC.WaitForPendingFinalizers();
            if (trimAvailable)
            {
                try
                {
                    MallocTrim(0);
                }
                catch (EntryPointNotFoundException)
                {
                    trimAvailable = false; // not glibc: its allocator returns memory its own way
                }
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
