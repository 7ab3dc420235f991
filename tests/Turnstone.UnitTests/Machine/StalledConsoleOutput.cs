namespace Turnstone.UnitTests.Machine;

/// <summary>A console output whose writes block until <see cref="Release"/>, as a terminal stopped with
/// Ctrl-S or a pipe nobody reads blocks the writer.</summary>
internal sealed class StalledConsoleOutput : Stream
{
    private readonly ManualResetEventSlim _released = new(initialState: false);

    /// <summary>Set once a write has started (and blocked).</summary>
    public ManualResetEventSlim WriteEntered { get; } = new(initialState: false);

    public void Release() => _released.Set();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        WriteEntered.Set();
        _released.Wait();
    }

    public override void Flush()
    {
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
