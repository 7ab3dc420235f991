using System.Text;

namespace Turnstone.Firmware.Bios.Video;

/// <summary>
/// Renders the 80x25 text screen INT 10h describes onto a serial (ANSI/UTF-8) terminal. It keeps
/// what it believes the terminal's cursor and colours are, and emits a cursor move or a colour change
/// only when a write needs one, so plain teletype output stays plain text (no escape sequences in
/// a log) while a loader that draws a menu with cursor moves and attributes gets it drawn.
/// </summary>
public sealed class TerminalScreen(IBiosConsole console)
{
    public const int Columns = 80, Rows = 25;
    public const byte DefaultAttribute = 0x07;

    // CGA colour order (blue, green, cyan, red, ...) to ANSI's (red, green, yellow, blue, ...).
    private static readonly byte[] AnsiColour = [0, 4, 2, 6, 1, 5, 3, 7];

    private int _row, _column;
    private bool _positionKnown = true;
    private byte _attribute = DefaultAttribute;
    private bool _cursorHidden;

    /// <summary>Writes <paramref name="value"/>'s glyph at the terminal's current position and
    /// advances the believed position as a VGA cursor would (wrapping at column 80).</summary>
    public void PutGlyph(byte value)
    {
        Span<byte> utf8 = stackalloc byte[4];
        console.Write(utf8[..CodePage437.EncodeUtf8(value, utf8)]);
        Advance(1);
    }

    /// <summary>Writes <paramref name="count"/> copies of a glyph in one terminal write.</summary>
    public void PutRun(byte value, int count)
    {
        Span<byte> utf8 = stackalloc byte[4];
        int length = CodePage437.EncodeUtf8(value, utf8);
        byte[] run = new byte[length * count];
        for (int i = 0; i < count; i++)
        {
            utf8[..length].CopyTo(run.AsSpan(i * length));
        }
        console.Write(run);
        Advance(count);
    }

    /// <summary>Draws video memory cells (character, attribute byte pairs) from (row, column) on: one
    /// terminal write per run of cells with one attribute.</summary>
    public void DrawCells(int row, int column, ReadOnlySpan<byte> cells)
    {
        MoveTo(row, column);
        byte[] run = new byte[cells.Length / 2 * 3]; // a code page 437 glyph is at most 3 UTF-8 bytes
        int length = 0;
        for (int i = 0; i + 1 < cells.Length; i += 2)
        {
            if (cells[i + 1] != _attribute)
            {
                if (length > 0)
                {
                    console.Write(run.AsSpan(0, length));
                    length = 0;
                }
                SetAttribute(cells[i + 1]);
            }
            length += CodePage437.EncodeUtf8(cells[i], run.AsSpan(length));
        }
        if (length > 0)
        {
            console.Write(run.AsSpan(0, length));
        }
        Advance(cells.Length / 2);
    }

    /// <summary>Blanks from the cursor to the end of the screen in the current colours; the cursor stays.</summary>
    public void EraseToEnd() => Emit("\e[J");

    /// <summary>Writes a control byte the terminal interprets itself (CR, LF, BS, BEL) and records
    /// the position the BIOS cursor moved to, which the terminal's moved to as well.</summary>
    public void PutControl(byte value, int row, int column)
    {
        console.Write([value]);
        Track(row, column);
    }

    /// <summary>Records where teletype output left the cursor: the terminal followed it there.</summary>
    public void Track(int row, int column)
    {
        _row = row;
        _column = column;
        _positionKnown = true;
    }

    /// <summary>The next positioned write moves the terminal's cursor explicitly.</summary>
    public void ForgetPosition() => _positionKnown = false;

    /// <summary>Moves the terminal's cursor to (row, column) unless it is believed to be there.</summary>
    public void MoveTo(int row, int column)
    {
        if (_positionKnown && _row == row && _column == column)
        {
            return;
        }
        Emit($"\e[{row + 1};{column + 1}H");
        _row = row;
        _column = column;
        _positionKnown = true;
    }

    /// <summary>Selects a VGA attribute (foreground low nibble, background high nibble) as SGR.</summary>
    public void SetAttribute(byte attribute)
    {
        if (attribute == _attribute)
        {
            return;
        }
        _attribute = attribute;
        if (attribute == DefaultAttribute)
        {
            Emit("\e[0m");
            return;
        }
        string bold = (attribute & 0x08) != 0 ? "1;" : "";
        Emit($"\e[0;{bold}3{AnsiColour[attribute & 7]};4{AnsiColour[(attribute >> 4) & 7]}m");
    }

    public void SetCursorVisible(bool visible)
    {
        if (visible == !_cursorHidden)
        {
            return;
        }
        _cursorHidden = !visible;
        Emit(visible ? "\e[?25h" : "\e[?25l");
    }

    /// <summary>Blanks the whole screen in <paramref name="attribute"/>'s background and homes the cursor.</summary>
    public void Clear(byte attribute)
    {
        SetAttribute(attribute);
        Emit("\e[2J\e[H");
        _row = _column = 0;
        _positionKnown = true;
    }

    /// <summary>Blanks the rectangle (top..bottom, left..right inclusive) with spaces.</summary>
    public void ClearWindow(int top, int left, int bottom, int right, byte attribute)
    {
        SetAttribute(attribute);
        for (int row = top; row <= bottom; row++)
        {
            MoveTo(row, left);
            PutRun((byte)' ', right - left + 1);
        }
    }

    /// <summary>Scrolls full-width rows top..bottom by <paramref name="lines"/> (up when positive)
    /// with a scroll region, the new lines in <paramref name="attribute"/>.</summary>
    public void ScrollRows(int top, int bottom, int lines, byte attribute)
    {
        SetAttribute(attribute);
        var text = new StringBuilder($"\e[{top + 1};{bottom + 1}r");
        if (lines > 0)
        {
            text.Append($"\e[{bottom + 1};1H").Append('\n', lines);
        }
        else
        {
            text.Append($"\e[{top + 1};1H");
            for (int i = 0; i < -lines; i++)
            {
                text.Append("\eM");
            }
        }
        text.Append("\e[r"); // back to the full screen; this also homes the cursor
        Emit(text.ToString());
        _row = _column = 0;
        _positionKnown = true;
    }

    private void Advance(int count)
    {
        int position = (_row * Columns) + _column + count;
        if (position > Rows * Columns)
        {
            _positionKnown = false; // the terminal scrolled (or not): move explicitly next time
            return;
        }
        // At exactly column 80 the terminal holds a pending wrap: the next glyph lands where the
        // VGA cursor would be, at the start of the next row.
        _row = position / Columns;
        _column = position % Columns;
    }

    private void Emit(string text) => console.Write(Encoding.ASCII.GetBytes(text));
}
