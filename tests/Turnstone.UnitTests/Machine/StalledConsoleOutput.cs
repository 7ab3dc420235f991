namespace Turnstone.UnitTests.Machine;

/// <summary>A console output whose writes block until <see cref="Release"/>, as a terminal stopped with
/// Ctrl-S or a pipe nobody reads blocks the writer.</summary>
internal sealed class StalledConsoleOutput : Turnstone.HostIo.WriteOnlyStream
{
    private readonly ManualResetEventSlim _released = new(initialState: false);

    /// <summary>Set once a write has started (and blocked).</summary>
    public ManualResetEventSlim WriteEntered { get; } = new(initialState: false);

    public void Release() => _released.Set();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        WriteEntered.Set();
        _released.Wait();
    }
}
