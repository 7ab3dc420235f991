using Turnstone.HostIo.Interop;

namespace Turnstone.HostIo;

/// <summary>
/// Writes a file descriptor it does not own with write(2), unbuffered, and never drops bytes: a
/// descriptor someone else made non-blocking (a terminal shared with a program that set O_NONBLOCK)
/// answers a full buffer with EAGAIN, where <see cref="FileStream"/> throws and the guest's console
/// output was lost; this waits in poll(2) until it can write and goes on. EINTR is retried. Any
/// other error (EPIPE: the reader went away) is an <see cref="IOException"/>.
/// </summary>
public sealed class DescriptorOutputStream(int descriptor) : WriteOnlyStream
{
    /// <summary>How long one wait for room lasts before writing is tried again (a stop of the
    /// machine abandons a writer blocked here, as it abandons one blocked in a blocking write).</summary>
    private const int PollMilliseconds = 100;

    public override unsafe void Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            int written = 0;
            while (written < buffer.Length)
            {
                nint result = Libc.Write(descriptor, start + written, (nuint)(buffer.Length - written));
                if (result >= 0)
                {
                    written += (int)result;
                    continue;
                }
                int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (errno == Libc.EAGAIN)
                {
                    var poll = new Libc.PollFd { Fd = descriptor, Events = Libc.POLLOUT };
                    Libc.Poll(&poll, 1, PollMilliseconds);
                }
                else if (errno != Libc.EINTR)
                {
                    throw new IOException($"write to descriptor {descriptor}: {Libc.ErrorText(errno)}");
                }
            }
        }
    }
}
