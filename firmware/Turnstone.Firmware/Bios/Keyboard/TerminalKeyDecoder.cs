namespace Turnstone.Firmware.Bios.Keyboard;

/// <summary>
/// Turns the bytes a terminal sends into INT 16h keys: plain bytes through
/// <see cref="KeyCodes.FromAscii"/>, and the VT100/xterm/Linux-console escape sequences for the
/// arrows, Home/End/PgUp/PgDn/Ins/Del and F1-F12 (both the SS3 form ESC O P and the CSI form
/// ESC [ 11 ~) into extended keys. A BIOS cannot wait for the rest of a sequence, so a sequence is
/// over when no further byte is pending: a lone ESC is the Esc key, and an unfinished or unknown
/// sequence is Esc followed by its bytes as typed.
/// </summary>
public sealed class TerminalKeyDecoder
{
    private const byte EscapeByte = 0x1B;
    private const int LongestSequence = 8;

    private readonly Queue<ushort> _decoded = new();
    private readonly byte[] _sequence = new byte[LongestSequence];
    private int _sequenceLength;

    /// <summary>The next key, reading as many bytes as it needs from <paramref name="console"/>
    /// (never waiting); false when the terminal has nothing more.</summary>
    public bool TryReadKey(IBiosConsole console, out ushort key)
    {
        while (_decoded.Count == 0 && console.TryReadByte(out byte value))
        {
            Feed(value);
        }
        if (_decoded.Count == 0 && _sequenceLength > 0)
        {
            FlushUnfinished();
        }
        return _decoded.TryDequeue(out key);
    }

    private void Feed(byte value)
    {
        if (_sequenceLength == 0)
        {
            if (value == EscapeByte)
            {
                _sequence[_sequenceLength++] = value;
            }
            else
            {
                _decoded.Enqueue(KeyCodes.FromAscii(value));
            }
            return;
        }
        if (_sequenceLength == 1 && value != '[' && value != 'O')
        {
            // ESC then an ordinary key: the Esc key, then that key (Alt+key has no portable encoding).
            _sequenceLength = 0;
            _decoded.Enqueue(KeyCodes.Escape);
            Feed(value);
            return;
        }
        _sequence[_sequenceLength++] = value;
        if (_sequenceLength == 2)
        {
            return;
        }
        var body = _sequence.AsSpan(0, _sequenceLength);
        if (body[1] == 'O')
        {
            Finish(Ss3Key(value));
        }
        else if (_sequenceLength == 3 && value == '[')
        {
            // ESC [ [ A..E: the Linux console's F1-F5; wait for the letter.
        }
        else if (body[2] == '[')
        {
            Finish(value is >= (byte)'A' and <= (byte)'E' ? KeyCodes.Function(value - 'A' + 1) : null);
        }
        else if (value is >= 0x40 and <= 0x7E)
        {
            Finish(CsiKey(body[2..^1], value));
        }
        else if (_sequenceLength == LongestSequence || !(char.IsAsciiDigit((char)value) || value == ';'))
        {
            Finish(null);
        }
    }

    /// <summary>ESC O x: F1-F4 (P-S), arrows, Home and End in application cursor mode.</summary>
    private static ushort? Ss3Key(byte final) => final switch
    {
        (byte)'P' => KeyCodes.Function(1),
        (byte)'Q' => KeyCodes.Function(2),
        (byte)'R' => KeyCodes.Function(3),
        (byte)'S' => KeyCodes.Function(4),
        _ => CursorKey(final),
    };

    /// <summary>ESC [ params final. Parameters after a ';' are modifiers, which a BIOS keyboard
    /// without shift state ignores.</summary>
    private static ushort? CsiKey(ReadOnlySpan<byte> parameters, byte final)
    {
        int separator = parameters.IndexOf((byte)';');
        var first = separator < 0 ? parameters : parameters[..separator];
        int number = 0;
        foreach (byte digit in first)
        {
            number = (number * 10) + (digit - '0');
        }
        if (final == '~')
        {
            return number switch
            {
                1 or 7 => KeyCodes.Home,
                2 => KeyCodes.Insert,
                3 => KeyCodes.Delete,
                4 or 8 => KeyCodes.End,
                5 => KeyCodes.PageUp,
                6 => KeyCodes.PageDown,
                >= 11 and <= 15 => KeyCodes.Function(number - 10),
                >= 17 and <= 21 => KeyCodes.Function(number - 11),
                23 or 24 => KeyCodes.Function(number - 12),
                _ => null,
            };
        }
        return final == 'Z' ? KeyCodes.ShiftTab : CursorKey(final);
    }

    private static ushort? CursorKey(byte final) => final switch
    {
        (byte)'A' => KeyCodes.Up,
        (byte)'B' => KeyCodes.Down,
        (byte)'C' => KeyCodes.Right,
        (byte)'D' => KeyCodes.Left,
        (byte)'H' => KeyCodes.Home,
        (byte)'F' => KeyCodes.End,
        _ => null,
    };

    private void Finish(ushort? key)
    {
        if (key is { } known)
        {
            _sequenceLength = 0;
            _decoded.Enqueue(known);
        }
        else
        {
            FlushUnfinished();
        }
    }

    /// <summary>A sequence we cannot complete or do not know: Esc, then the bytes after it as keys.</summary>
    private void FlushUnfinished()
    {
        _decoded.Enqueue(KeyCodes.Escape);
        for (int i = 1; i < _sequenceLength; i++)
        {
            _decoded.Enqueue(KeyCodes.FromAscii(_sequence[i]));
        }
        _sequenceLength = 0;
    }
}
