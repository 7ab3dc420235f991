using Turnstone.Machine;

namespace Turnstone.UnitTests.Machine;

/// <summary>The BIOS terminal's writer: a run of bytes is one write to the console stream, not one a byte;
/// when the bytes reach the host is the stream's choice (BatchedConsoleOutput), so the writer never flushes.</summary>
public sealed class ConsoleStreamsTests
{
    [Fact]
    public void A_run_is_one_write_and_the_stream_decides_when_to_flush()
    {
        var output = new RecordingStream();
        var write = ConsoleStreams.RunWriter(output);

        write("\e[2;3H"u8);
        write("ok\r\n"u8);

        Assert.Equal(["\e[2;3H", "ok\r\n"], output.Writes);
        Assert.Equal(0, output.Flushes);
    }

    [Fact]
    public void A_closed_terminal_drops_the_output_without_failing_the_guest()
    {
        var write = ConsoleStreams.RunWriter(new RecordingStream { Closed = true });

        write("lost"u8);
    }

    private sealed class RecordingStream : MemoryStream
    {
        public List<string> Writes { get; } = [];

        public int Flushes { get; private set; }

        public bool Closed { get; init; }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Closed)
            {
                throw new IOException("broken pipe");
            }
            Writes.Add(System.Text.Encoding.ASCII.GetString(buffer));
        }

        public override void Flush() => Flushes++;
    }
}
