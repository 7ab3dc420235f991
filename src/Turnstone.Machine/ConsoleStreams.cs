using Turnstone.Devices.Legacy;

namespace Turnstone.Machine;

/// <summary>Connects the guest's consoles to host streams: output as it comes, input on its own thread.</summary>
internal static class ConsoleStreams
{
    /// <summary>A byte at a time (a UART's transmitter) to <paramref name="output"/>, which decides when
    /// to write them out (<see cref="Terminal.BatchedConsoleOutput"/> holds them a few milliseconds).</summary>
    public static Action<byte> Writer(Stream? output)
    {
        if (output is null)
        {
            return _ => { };
        }
        return value =>
        {
            try
            {
                output.WriteByte(value);
            }
            catch (IOException)
            {
                // The terminal went away (closed pipe): the guest keeps running, its output is dropped.
            }
        };
    }

    /// <summary>
    /// <see cref="Writer"/> for whole runs of bytes (a BIOS video call's escape sequence or glyphs):
    /// one write to <paramref name="output"/> per run.
    /// </summary>
    public static Action<ReadOnlySpan<byte>> RunWriter(Stream? output)
    {
        if (output is null)
        {
            return _ => { };
        }
        return run =>
        {
            try
            {
                output.Write(run);
            }
            catch (IOException)
            {
                // The terminal went away (closed pipe): the guest keeps running, its output is dropped.
            }
        };
    }

    /// <summary>A UART as an input sink: takes bytes while its receive FIFO has room.</summary>
    public static Func<ReadOnlyMemory<byte>, int> Into(Serial16550 uart) => bytes =>
    {
        var span = bytes.Span;
        int taken = 0;
        while (taken < span.Length && uart.TryReceive(span[taken]))
        {
            taken++;
        }
        return taken;
    };

    /// <summary>
    /// Pumps <paramref name="input"/> into <paramref name="deliver"/> (which answers how many bytes it
    /// took) until end of input or until the token fires. A guest that is not reading holds the
    /// terminal back instead of losing keystrokes.
    /// </summary>
    public static void StartInputPump(Stream? input, Func<ReadOnlyMemory<byte>, int> deliver, CancellationToken stop)
    {
        if (input is null)
        {
            return;
        }
        var thread = new Thread(() =>
        {
            var buffer = new byte[256];
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    int read = input.Read(buffer, 0, buffer.Length);
                    if (read <= 0)
                    {
                        return;
                    }
                    var pending = buffer.AsMemory(0, read);
                    while (!pending.IsEmpty && !stop.IsCancellationRequested)
                    {
                        int taken = deliver(pending);
                        pending = pending[taken..];
                        if (taken == 0)
                        {
                            Thread.Sleep(1);
                        }
                    }
                }
            }
            catch (IOException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        })
        { IsBackground = true, Name = "console input" };
        thread.Start();
    }
}
