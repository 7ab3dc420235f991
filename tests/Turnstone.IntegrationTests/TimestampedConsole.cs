using System.Diagnostics;
using System.Text;

namespace Turnstone.IntegrationTests;

/// <summary>
/// A console stream that notes when each line was complete on the host (its newline written), with
/// the monitor process's CPU time then, so a test can set what the guest says about its clock
/// against host time and see what the monitor spent meanwhile.
/// </summary>
internal sealed class TimestampedConsole : MemoryStream
{
    private readonly Stopwatch _host = Stopwatch.StartNew();
    private readonly List<byte> _line = [];
    private readonly List<(string Line, TimeSpan Host, TimeSpan MonitorCpu)> _lines = [];

    /// <summary>Every completed line, with the host time since the stream was made and the process's CPU time.</summary>
    public IReadOnlyList<(string Line, TimeSpan Host, TimeSpan MonitorCpu)> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        base.Write(buffer);
        foreach (byte value in buffer)
        {
            Take(value);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void WriteByte(byte value)
    {
        base.WriteByte(value);
        Take(value);
    }

    private void Take(byte value)
    {
        if (value != (byte)'\n')
        {
            _line.Add(value);
            return;
        }
        var host = _host.Elapsed;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        string line = Encoding.UTF8.GetString([.. _line]).TrimEnd('\r');
        _line.Clear();
        lock (_lines)
        {
            _lines.Add((line, host, cpu));
        }
    }
}
