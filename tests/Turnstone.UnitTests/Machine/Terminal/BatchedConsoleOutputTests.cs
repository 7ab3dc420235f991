using Turnstone.Machine.Terminal;

namespace Turnstone.UnitTests.Machine.Terminal;

/// <summary>The console's batching: bytes wait a few milliseconds and go out in one write, in order.</summary>
public sealed class BatchedConsoleOutputTests
{
    private static readonly TimeSpan Never = TimeSpan.FromHours(1);

    [Fact]
    public void Bytes_are_held_until_a_flush_then_written_in_one_piece()
    {
        var host = new RecordingStream();
        using var output = new BatchedConsoleOutput(host, holdFor: Never);

        output.WriteByte((byte)'o');
        output.WriteByte((byte)'k');
        output.Write("\e[2;3H!\r\n"u8);
        Assert.Empty(host.Writes);

        output.Flush();

        Assert.Equal(["ok\e[2;3H!\r\n"], host.Writes);
        Assert.Equal(1, host.Flushes);
    }

    [Fact]
    public void Disposing_writes_what_is_still_held()
    {
        var host = new RecordingStream();
        var output = new BatchedConsoleOutput(host, holdFor: Never);

        output.Write("late hvc0 output"u8);
        output.Dispose();

        Assert.Equal(["late hvc0 output"], host.Writes);
    }

    [Fact]
    public async Task Disposing_gives_up_on_a_writer_stuck_in_the_host()
    {
        var host = new Turnstone.UnitTests.Machine.StalledConsoleOutput();
        var output = new BatchedConsoleOutput(host, holdFor: TimeSpan.FromMilliseconds(1));
        output.Write("stuck"u8);
        Assert.True(host.WriteEntered.Wait(TimeSpan.FromSeconds(30)), "the timer never wrote");

        var disposing = Task.Run(output.Dispose); // the timer's write holds the lock until released
        var first = await Task.WhenAny(disposing, Task.Delay(TimeSpan.FromSeconds(30)));
        host.Release();

        Assert.True(first == disposing, "Dispose waited for the stuck writer");
    }

    [Fact]
    public void A_flush_into_a_stalled_host_is_left_behind_after_the_wait()
    {
        var host = new Turnstone.UnitTests.Machine.StalledConsoleOutput();
        var output = new BatchedConsoleOutput(host, holdFor: Never);
        try
        {
            output.Write("stuck"u8);

            Assert.False(output.TryFlush(TimeSpan.FromMilliseconds(50)));
            Assert.True(host.WriteEntered.Wait(TimeSpan.FromSeconds(30)), "the flush never reached the host");
            Assert.False(output.TryFlush(TimeSpan.FromHours(1)), "a second flush waited for the stalled one");
        }
        finally
        {
            host.Release();
        }
    }

    [Fact]
    public void A_flush_the_host_takes_in_time_succeeds()
    {
        var host = new RecordingStream();
        using var output = new BatchedConsoleOutput(host, holdFor: Never);

        output.Write("bye"u8);

        Assert.True(output.TryFlush(TimeSpan.FromSeconds(30)));
        Assert.Equal(["bye"], host.Writes);
    }

    [Fact]
    public void Held_bytes_go_out_by_themselves_after_the_hold()
    {
        var host = new RecordingStream();
        using var output = new BatchedConsoleOutput(host, holdFor: TimeSpan.FromMilliseconds(1));

        output.Write("login: "u8);

        Assert.True(SpinWait.SpinUntil(() => host.Writes.Count > 0, TimeSpan.FromSeconds(30)), "the timer never wrote the held bytes");
        Assert.Equal(["login: "], host.Writes);

        output.Write("again"u8); // the timer is armed afresh after each write-out
        Assert.True(SpinWait.SpinUntil(() => host.Writes.Count > 1, TimeSpan.FromSeconds(30)), "the second batch was never written");
        Assert.Equal(["login: ", "again"], host.Writes);
    }

    [Fact]
    public void A_write_beyond_the_capacity_goes_out_after_what_was_held()
    {
        var host = new RecordingStream();
        using var output = new BatchedConsoleOutput(host, holdFor: Never);
        byte[] large = new byte[BatchedConsoleOutput.Capacity + 1];
        Array.Fill(large, (byte)'x');

        output.Write("first"u8);
        output.Write(large);

        Assert.Equal(["first", new string('x', large.Length)], host.Writes);
    }

    [Fact]
    public void Writes_that_fill_the_capacity_exactly_stay_held()
    {
        var host = new RecordingStream();
        using var output = new BatchedConsoleOutput(host, holdFor: Never);

        output.Write(new byte[BatchedConsoleOutput.Capacity - 1]);
        output.WriteByte(1);
        Assert.Empty(host.Writes);

        output.WriteByte(2); // one byte over: the full batch goes, the new byte waits
        Assert.Equal([BatchedConsoleOutput.Capacity], host.Writes.Select(w => w.Length));
        output.Flush();
        Assert.Equal("\u0002", host.Writes[^1]);
    }

    [Fact]
    public void A_closed_terminal_fails_the_flush_and_drops_only_the_held_bytes()
    {
        var host = new RecordingStream { Closed = true };
        using var output = new BatchedConsoleOutput(host, holdFor: Never);

        output.Write("lost"u8);
        Assert.Throws<IOException>(output.Flush);

        host.Closed = false;
        output.Write("kept"u8);
        output.Flush();
        Assert.Equal(["kept"], host.Writes);
    }

    [Fact]
    public void A_closed_terminal_does_not_fail_the_timer()
    {
        var host = new RecordingStream { Closed = true };
        using var output = new BatchedConsoleOutput(host, holdFor: TimeSpan.FromMilliseconds(1));

        output.Write("lost"u8);
        Assert.True(SpinWait.SpinUntil(() => host.RefusedWrites > 0, TimeSpan.FromSeconds(30)), "the timer never tried to write");

        host.Closed = false;
        output.Write("kept"u8);
        Assert.True(SpinWait.SpinUntil(() => host.Writes.Count > 0, TimeSpan.FromSeconds(30)), "the timer stopped after a failed write");
        Assert.Equal(["kept"], host.Writes);
    }

    private sealed class RecordingStream : MemoryStream
    {
        private readonly List<string> _writes = [];

        public IReadOnlyList<string> Writes
        {
            get
            {
                lock (_writes)
                {
                    return [.. _writes];
                }
            }
        }

        public int Flushes { get; private set; }

        public int RefusedWrites => Volatile.Read(ref _refused);

        public volatile bool Closed;

        private int _refused;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Closed)
            {
                Interlocked.Increment(ref _refused);
                throw new IOException("broken pipe");
            }
            lock (_writes)
            {
                _writes.Add(System.Text.Encoding.Latin1.GetString(buffer));
            }
        }

        public override void Flush() => Flushes++;
    }
}
