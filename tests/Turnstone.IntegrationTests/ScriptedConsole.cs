using System.Text;

namespace Turnstone.IntegrationTests;

/// <summary>
/// A terminal for a test: records what the guest prints and types <see cref="Keystrokes"/> only
/// once the output shows <see cref="Prompt"/> after <see cref="Marker"/>, as a user who waits for
/// the prompt would. Typing earlier is lost when the guest opens and closes the console in between
/// (a tty discards unread input on its last close), which is a property of Linux, not of the device.
/// </summary>
internal sealed class ScriptedConsole(string marker, string prompt, string keystrokes)
{
    private readonly StringBuilder _text = new();
    private readonly ManualResetEventSlim _promptSeen = new();
    private readonly Lock _gate = new();

    /// <summary>A console that only records what the guest prints: nothing is ever typed.</summary>
    public static ScriptedConsole RecordOnly() => new("\0", "\0", "");

    /// <summary>The same script with nothing recorded or typed yet, for a run started over.</summary>
    public ScriptedConsole Afresh() => new(Marker, Prompt, Keystrokes);

    public string Marker { get; } = marker;
    public string Prompt { get; } = prompt;
    public string Keystrokes { get; } = keystrokes;

    public string Text
    {
        get { lock (_gate) { return _text.ToString(); } }
    }

    public Stream Output => new OutputStream(this);

    public Stream Input => new InputStream(this);

    private void Append(ReadOnlySpan<byte> bytes)
    {
        lock (_gate)
        {
            _text.Append(Encoding.UTF8.GetString(bytes));
            string text = _text.ToString();
            int marker = text.IndexOf(Marker, StringComparison.Ordinal);
            if (marker >= 0 && text.IndexOf(Prompt, marker + Marker.Length, StringComparison.Ordinal) >= 0)
            {
                _promptSeen.Set();
            }
        }
    }

    private sealed class OutputStream(ScriptedConsole console) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => console.Append(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer) => console.Append(buffer);
    }

    /// <summary>Blocks the monitor's input pump until the prompt, then gives the keystrokes once and ends.</summary>
    private sealed class InputStream(ScriptedConsole console) : Stream
    {
        private byte[]? _pending;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_pending is null)
            {
                console._promptSeen.Wait();
                _pending = Encoding.ASCII.GetBytes(console.Keystrokes);
            }
            int n = Math.Min(count, _pending.Length);
            _pending.AsSpan(0, n).CopyTo(buffer.AsSpan(offset));
            _pending = _pending[n..];
            return n;
        }
    }
}
