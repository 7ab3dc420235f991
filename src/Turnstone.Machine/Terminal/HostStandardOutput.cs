using Turnstone.HostIo;

namespace Turnstone.Machine.Terminal;

/// <summary>
/// The process's stdout for the guest's console, written without .NET's console: its writes
/// (<c>Console.OpenStandardOutput</c>) hold a lock that every <c>Console.Error</c> write takes too, so
/// a guest write blocked on a stalled stdout (a terminal stopped with Ctrl-S, a pipe nobody reads)
/// would also block every monitor message on stderr, the run summary after Ctrl-C included.
/// </summary>
public static class HostStandardOutput
{
    private const int StandardOutputDescriptor = 1;

    /// <summary>File descriptor 1 as an unbuffered stream (each write a write(2)) that waits out a
    /// non-blocking stdout's EAGAIN instead of losing the bytes; disposing it leaves the descriptor open.</summary>
    public static Stream Open() => new DescriptorOutputStream(StandardOutputDescriptor);
}
