using System.Collections.Concurrent;
using System.Diagnostics;
using Turnstone.Firmware.Bios;

namespace Turnstone.Machine.Bios;

/// <summary>
/// The terminal as the BIOS sees it (<see cref="IBiosConsole"/>): output goes where the UART's
/// goes, and the keys typed while the BIOS owns the keyboard wait here for INT 16h. The BIOS owns
/// it from reset until an OS has a console driver up (the keyboard's caller says so), or, failing
/// that sign, until the guest has made no firmware call for <see cref="HandOffAfter"/>: a boot
/// loader calls the BIOS all the time (INT 16h polls, INT 1Ah, INT 13h reads), an OS it started
/// never does. From then on keys go to the guest's own drivers, the unread ones first.
/// </summary>
internal sealed class BiosTerminal(Action<ReadOnlySpan<byte>> output) : IBiosConsole
{
    /// <summary>Keys held for INT 16h at most; the input pump waits (as for a full UART) beyond that.</summary>
    public const int InputCapacity = 256;

    public static readonly TimeSpan HandOffAfter = TimeSpan.FromSeconds(1);

    private readonly ConcurrentQueue<byte> _input = new();
    private long _lastCallTimestamp;

    /// <summary>Writes <paramref name="text"/> in one piece (<see cref="ConsoleStreams.RunWriter"/>: one system call, not one a byte).</summary>
    public void Write(ReadOnlySpan<byte> text) => output(text);

    public bool TryReadByte(out byte value) => _input.TryDequeue(out value);

    public bool HasInput => !_input.IsEmpty;

    /// <summary>Called on every firmware call: the BIOS is still in charge.</summary>
    public void NoteFirmwareCall() => Volatile.Write(ref _lastCallTimestamp, Stopwatch.GetTimestamp());

    /// <summary>True until the guest has gone <see cref="HandOffAfter"/> without a firmware call since its last one.</summary>
    public bool CallsRecently
    {
        get
        {
            long last = Volatile.Read(ref _lastCallTimestamp);
            return last == 0 || Stopwatch.GetElapsedTime(last) < HandOffAfter;
        }
    }

    /// <summary>
    /// An input sink for the console pump: keys go to INT 16h while the BIOS owns the keyboard, then
    /// to <paramref name="guest"/> (the guest's UART or hvc0), starting with any INT 16h never read.
    /// <paramref name="osConsoleUp"/> is true once an OS has a console driver running.
    /// </summary>
    public Func<ReadOnlyMemory<byte>, int> Keyboard(Func<ReadOnlyMemory<byte>, int> guest, Func<bool> osConsoleUp) => bytes =>
    {
        if (osConsoleUp() || !CallsRecently)
        {
            return HandUnreadKeysTo(guest) ? guest(bytes) : 0;
        }
        int taken = 0;
        var span = bytes.Span;
        while (taken < span.Length && _input.Count < InputCapacity)
        {
            _input.Enqueue(span[taken++]);
        }
        return taken;
    };

    /// <summary>Gives the keys the BIOS never read to the guest; false while the guest has no room for them yet.</summary>
    private bool HandUnreadKeysTo(Func<ReadOnlyMemory<byte>, int> guest)
    {
        while (_input.TryPeek(out byte key))
        {
            if (guest(new[] { key }) == 0)
            {
                return false;
            }
            _input.TryDequeue(out _);
        }
        return true;
    }
}
