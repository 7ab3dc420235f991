using Turnstone.GuestMemory;

namespace Turnstone.Firmware.Bios.Video;

/// <summary>
/// INT 10h for a machine whose screen is a serial terminal: text mode 3 (80x25 colour) only, the
/// state a VGA BIOS keeps (mode, cursor per page, cursor shape, active page) in the BDA, and the
/// text sent to <see cref="IBiosConsole"/> through <see cref="TerminalScreen"/>; every write, scroll
/// and clear also lands in the text pages at B8000h (<see cref="TextVideoMemory"/>), which 08h reads
/// and narrow-window scrolls move, as SeaBIOS's VGA BIOS keeps them there. There is no VGA
/// and no VBE: the VBE probe fails (AX = 014Fh), the EGA query leaves BL = 10h (no EGA), as
/// SeaBIOS without a VGA ROM leaves them, so loaders stay in text mode.
/// </summary>
public sealed class VideoService(IBiosConsole console, UnsupportedServiceLog unsupported) : IBiosService
{
    private const int Pages = 8;

    private readonly TerminalScreen _screen = new(console);

    public IReadOnlyList<byte> Vectors { get; } = [0x10];

    public void Handle(BiosCall call)
    {
        var registers = call.Registers;
        byte bh = (byte)(registers.Ebx >> 8), bl = (byte)registers.Ebx;
        switch (call.Ah)
        {
            case 0x00:
                SetMode(call);
                break;
            case 0x01:
                call.Memory.WriteUInt16(BiosDataArea.CursorShape, (ushort)registers.Ecx);
                _screen.SetCursorVisible((registers.Ecx & 0x2000) == 0); // CH bit 5: cursor off
                break;
            case 0x02:
                if (bh < Pages)
                {
                    call.Memory.WriteUInt16(BiosDataArea.CursorPositions + (ulong)(2 * bh), (ushort)registers.Edx);
                }
                break;
            case 0x03:
                var (row, column) = Cursor(call.Memory, bh);
                registers.Edx = (registers.Edx & 0xFFFF_0000) | ((uint)row << 8) | (uint)column;
                registers.Ecx = (registers.Ecx & 0xFFFF_0000) | call.Memory.ReadUInt16(BiosDataArea.CursorShape);
                break;
            case 0x05:
                if (call.Al < Pages)
                {
                    call.Memory.WriteByte(BiosDataArea.ActivePage, call.Al);
                    call.Memory.WriteUInt16(BiosDataArea.VideoPageStart, (ushort)(call.Al * 0x1000));
                }
                break;
            case 0x06 or 0x07:
                Scroll(call, up: call.Ah == 0x06);
                break;
            case 0x08:
                ReadAtCursor(call, bh);
                break;
            case 0x09 or 0x0A:
                WriteAtCursor(call, bh, (ushort)registers.Ecx, call.Ah == 0x09 ? bl : null);
                break;
            case 0x0E:
                Teletype(call.Memory, call.Al);
                break;
            case 0x0F:
                call.Al = call.Memory.ReadByte(BiosDataArea.VideoMode);
                call.Ah = (byte)call.Memory.ReadUInt16(BiosDataArea.VideoColumns);
                registers.Ebx = (registers.Ebx & 0xFFFF_00FF) | ((uint)call.Memory.ReadByte(BiosDataArea.ActivePage) << 8);
                break;
            case 0x12 when bl == 0x10:
                break; // EGA information: BL stays 10h, which says "no EGA/VGA"
            case 0x13:
                WriteString(call);
                break;
            case 0x1A when call.Al <= 0x01:
                // Display combination: a colour display on a CGA-class adapter, matching the
                // equipment word and the absent EGA; setting it is accepted and changes nothing.
                if (call.Al == 0x00)
                {
                    registers.Ebx = (registers.Ebx & 0xFFFF_0000) | 0x0002;
                }
                call.Al = 0x1A;
                break;
            case 0x4F:
                call.Unsupported($"INT 10h AX={call.Ax:X4}h (VBE: no graphics adapter)");
                call.Al = 0x4F; // AX = 014Fh: "supported call, failed", which no caller mistakes for 004Fh
                break;
            default:
                call.Unsupported($"INT 10h AH={call.Ah:X2}h");
                break;
        }
    }

    /// <summary>
    /// 00h: mode 3 (80x25 colour text) is the only mode; setting it resets the BDA's video state
    /// (cursors home, page 0, the default cursor shape). A VGA would also blank the screen unless
    /// AL bit 7 is set, but the terminal keeps what it shows: Linux's setup code, the one caller we
    /// boot that sets the mode, saves the screen beforehand and writes it back into video memory
    /// afterwards, which a terminal never sees, so keeping the text is what the user would see on a
    /// PC. Other modes are logged once and leave mode 3 in place.
    /// </summary>
    private void SetMode(BiosCall call)
    {
        byte mode = (byte)(call.Al & 0x7F);
        if (mode != BiosDataArea.TextMode)
        {
            unsupported.Report($"INT 10h AX=00{call.Al:X2}h (video mode {mode:X2}h)", "staying in 80x25 text mode 3");
            return;
        }
        var memory = call.Memory;
        memory.WriteByte(BiosDataArea.VideoMode, BiosDataArea.TextMode);
        memory.WriteUInt16(BiosDataArea.VideoColumns, BiosDataArea.TextColumns);
        memory.WriteByte(BiosDataArea.VideoRowsMinusOne, BiosDataArea.TextRows - 1);
        memory.WriteByte(BiosDataArea.ActivePage, 0);
        memory.WriteUInt16(BiosDataArea.VideoPageStart, 0);
        memory.GetSpan(BiosDataArea.CursorPositions, 2 * Pages).Clear();
        memory.WriteUInt16(BiosDataArea.CursorShape, 0x0607);
        if ((call.Al & 0x80) == 0)
        {
            TextVideoMemory.Clear(memory); // the VGA's memory is blanked unless AL bit 7 asks to keep it
        }
        _screen.SetAttribute(TerminalScreen.DefaultAttribute);
        _screen.SetCursorVisible(true);
        _screen.ForgetPosition(); // the BDA cursor is home now, the terminal's is not
        call.Al = 0x30; // text mode set, as SeaBIOS's VGA BIOS reports for modes 0-5 and 7
    }

    /// <summary>0Eh: write a character at the active page's cursor and advance it; CR, LF, BS and BEL
    /// act as a terminal expects, a tab moves to the next multiple of 8 (SeaBIOS's VGA BIOS), and
    /// a line feed on the last row scrolls.</summary>
    public void Teletype(IGuestMemory memory, byte character)
    {
        byte page = ActivePage(memory);
        var (row, column) = Cursor(memory, page);
        switch (character)
        {
            case 0x07:
                _screen.PutControl(character, row, column);
                break;
            case 0x08:
                if (column > 0)
                {
                    column--;
                    _screen.PutControl(character, row, column);
                }
                break;
            case 0x0D:
                column = 0;
                _screen.PutControl(character, row, column);
                break;
            case 0x0A:
                row = NextTeletypeRow(memory, page, row);
                _screen.PutControl(character, row, column);
                break;
            case 0x09:
                do
                {
                    (row, column) = PutTeletypeGlyph(memory, page, (byte)' ', row, column);
                }
                while (column % 8 != 0);
                break;
            default:
                (row, column) = PutTeletypeGlyph(memory, page, character, row, column);
                break;
        }
        SetCursor(memory, page, row, column);
    }

    /// <summary>A teletype glyph: the cell's character in video memory (its attribute kept, as a VGA
    /// BIOS's teletype does), the glyph on the terminal in the default colours.</summary>
    private (int Row, int Column) PutTeletypeGlyph(IGuestMemory memory, byte page, byte character, int row, int column)
    {
        TextVideoMemory.Write(memory, page, row, column, character, attribute: null);
        _screen.SetAttribute(TerminalScreen.DefaultAttribute);
        _screen.PutGlyph(character);
        if (++column == TerminalScreen.Columns)
        {
            column = 0;
            row = NextTeletypeRow(memory, page, row);
        }
        _screen.Track(row, column);
        return (row, column);
    }

    /// <summary>The row below <paramref name="row"/>; past the last row the page scrolls up a line
    /// (blank in the default attribute, as SeaBIOS's teletype scroll), as the terminal does by itself.</summary>
    private static int NextTeletypeRow(IGuestMemory memory, byte page, int row)
    {
        if (row < TerminalScreen.Rows - 1)
        {
            return row + 1;
        }
        TextVideoMemory.Scroll(memory, page, 0, 0, TerminalScreen.Rows - 1, TerminalScreen.Columns - 1, 1, TerminalScreen.DefaultAttribute);
        return row;
    }

    /// <summary>09h (character and attribute) / 0Ah (character only): CX copies at the cursor of
    /// page BH, the cursor not moving; clipped at the end of the screen as a VGA's memory ends there.</summary>
    private void WriteAtCursor(BiosCall call, byte page, ushort count, byte? attribute)
    {
        if (page >= Pages || count == 0)
        {
            return;
        }
        var (row, column) = Cursor(call.Memory, page);
        int room = (TerminalScreen.Rows * TerminalScreen.Columns) - (row * TerminalScreen.Columns) - column;
        TextVideoMemory.Write(call.Memory, page, row, column, call.Al, attribute, Math.Min(count, room));
        _screen.MoveTo(row, column);
        if (attribute is { } colours)
        {
            _screen.SetAttribute(colours);
        }
        if (call.Al == ' ' && count >= room)
        {
            // Blanking the rest of the screen (GRUB's cls writes 2000 spaces from the top left):
            // one erase instead of a screenful of spaces.
            _screen.EraseToEnd();
            return;
        }
        _screen.PutRun(call.Al, Math.Min(count, room));
    }

    /// <summary>06h up / 07h down: AL lines (0, or at least the window's height: blank the window),
    /// BH the blank lines' attribute, CH/CL the top-left and DH/DL the bottom-right corner, on the
    /// active page. Video memory scrolls as SeaBIOS's verify_scroll/vgafb_scroll move it. On the
    /// terminal a full-width window scrolls with a scroll region and a blanked window is written
    /// over with spaces; a terminal cannot move part of a line, so a narrower window that scrolls
    /// has its rows redrawn from video memory, after which the terminal's cursor goes back to the
    /// BIOS cursor, where teletype output (which never positions the terminal) continues.</summary>
    private void Scroll(BiosCall call, bool up)
    {
        var registers = call.Registers;
        var memory = call.Memory;
        int top = (byte)(registers.Ecx >> 8), left = (byte)registers.Ecx;
        int bottom = Math.Min((int)(byte)(registers.Edx >> 8), TerminalScreen.Rows - 1);
        int right = Math.Min((int)(byte)registers.Edx, TerminalScreen.Columns - 1);
        byte attribute = (byte)(registers.Ebx >> 8);
        int lines = call.Al;
        if (top > bottom || left > right)
        {
            return;
        }
        if (lines > bottom - top)
        {
            lines = 0;
        }
        byte page = ActivePage(memory);
        TextVideoMemory.Scroll(memory, page, top, left, bottom, right, up ? lines : -lines, attribute);
        bool fullWidth = left == 0 && right == TerminalScreen.Columns - 1;
        if (lines == 0)
        {
            if (fullWidth && top == 0 && bottom == TerminalScreen.Rows - 1)
            {
                _screen.Clear(attribute);
            }
            else
            {
                _screen.ClearWindow(top, left, bottom, right, attribute);
            }
        }
        else if (fullWidth)
        {
            _screen.ScrollRows(top, bottom, up ? lines : -lines, attribute);
        }
        else
        {
            for (int row = top; row <= bottom; row++)
            {
                if (TextVideoMemory.TryGetCells(memory, page, row, left, right - left + 1, out var cells))
                {
                    _screen.DrawCells(row, left, cells);
                }
            }
            var (cursorRow, cursorColumn) = Cursor(memory, page);
            _screen.MoveTo(cursorRow, cursorColumn);
        }
    }

    /// <summary>08h: AL the character and AH the attribute at page BH's cursor, from video memory
    /// (SeaBIOS: a page above 7 reads page 0's top-left cell).</summary>
    private static void ReadAtCursor(BiosCall call, byte page)
    {
        var (row, column) = Cursor(call.Memory, page);
        call.Ax = TextVideoMemory.Read(call.Memory, page < Pages ? page : 0, row, column);
    }

    private static byte ActivePage(IGuestMemory memory)
    {
        byte page = memory.ReadByte(BiosDataArea.ActivePage);
        return page < Pages ? page : (byte)0;
    }

    /// <summary>13h: write the CX-byte string at ES:BP to page BH at row DH, column DL. AL bit 0:
    /// the cursor follows; bit 1: the string alternates characters and attributes (else BL).</summary>
    private void WriteString(BiosCall call)
    {
        var registers = call.Registers;
        byte page = (byte)(registers.Ebx >> 8), mode = call.Al;
        int length = (ushort)registers.Ecx * ((mode & 0x02) != 0 ? 2 : 1);
        if (page >= Pages || mode > 3 || !call.TryGetRealModeSpan(registers.Es, (ushort)registers.Ebp, length, out var text))
        {
            call.Unsupported($"INT 10h AX={call.Ax:X4}h (write string: bad page, mode or buffer)");
            return;
        }
        var memory = call.Memory;
        var (savedRow, savedColumn) = Cursor(memory, page);
        SetCursor(memory, page, (byte)(registers.Edx >> 8), (byte)registers.Edx);
        byte activePage = memory.ReadByte(BiosDataArea.ActivePage);
        memory.WriteByte(BiosDataArea.ActivePage, page);
        byte[] copy = text.ToArray(); // teletype output below must not read a span the guest shares
        for (int i = 0; i < copy.Length; i += (mode & 0x02) != 0 ? 2 : 1)
        {
            byte attribute = (mode & 0x02) != 0 ? copy[i + 1] : (byte)registers.Ebx;
            if (copy[i] is 0x07 or 0x08 or 0x0A or 0x0D)
            {
                Teletype(memory, copy[i]);
                continue;
            }
            var (row, column) = Cursor(memory, page);
            TextVideoMemory.Write(memory, page, row, column, copy[i], attribute);
            _screen.MoveTo(row, column);
            _screen.SetAttribute(attribute);
            _screen.PutGlyph(copy[i]);
            if (++column == TerminalScreen.Columns)
            {
                column = 0;
                row = NextTeletypeRow(memory, page, row);
            }
            SetCursor(memory, page, row, column);
        }
        memory.WriteByte(BiosDataArea.ActivePage, activePage);
        if ((mode & 0x01) == 0)
        {
            SetCursor(memory, page, savedRow, savedColumn);
        }
    }

    private static (int Row, int Column) Cursor(IGuestMemory memory, byte page)
    {
        if (page >= Pages)
        {
            return (0, 0);
        }
        ushort position = memory.ReadUInt16(BiosDataArea.CursorPositions + (ulong)(2 * page));
        return (Math.Min(position >> 8, TerminalScreen.Rows - 1), Math.Min(position & 0xFF, TerminalScreen.Columns - 1));
    }

    private static void SetCursor(IGuestMemory memory, byte page, int row, int column) =>
        memory.WriteUInt16(BiosDataArea.CursorPositions + (ulong)(2 * page), (ushort)((row << 8) | column));
}
