using Turnstone.Devices.Legacy;

namespace Turnstone.Machine;

/// <summary>Connects the guest's UART to host streams: output byte by byte, input on its own thread.</summary>
internal static class ConsoleStreams
{
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
                if (value == (byte)'\n')
                {
                    output.Flush();
                }
            }
            catch (IOException)
            {
                // The terminal went away (closed pipe): the guest keeps running, its output is dropped.
            }
        };
    }

    /// <summary>Pumps <paramref name="input"/> into the UART until end of input or until the token fires.</summary>
    public static void StartInputPump(Stream? input, Serial16550 uart, CancellationToken stop)
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
                    for (int i = 0; i < read && !stop.IsCancellationRequested; i++)
                    {
                        while (!uart.TryReceive(buffer[i]) && !stop.IsCancellationRequested)
                        {
                            Thread.Sleep(1); // the guest is not reading: hold the terminal back
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
