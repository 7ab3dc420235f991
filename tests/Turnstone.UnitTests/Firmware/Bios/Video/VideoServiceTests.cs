using Turnstone.Firmware.Bios;
using Turnstone.Firmware.Bios.Video;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Firmware.Bios.Video;

public sealed class VideoServiceTests
{
    private readonly BiosServiceBench _bench = new();
    private readonly FakeBiosConsole _console = new();
    private readonly VideoService _service;

    public VideoServiceTests() => _service = new VideoService(_console, _bench.Unsupported);

    private BiosCall Invoke(ushort ax) => _bench.Invoke(_service, ax);

    private void Teletype(string text)
    {
        foreach (char c in text)
        {
            Invoke((ushort)(0x0E00 | c));
        }
    }

    private (int Row, int Column) Cursor(int page = 0)
    {
        ushort position = _bench.Memory.ReadUInt16(0x450 + (ulong)(2 * page));
        return (position >> 8, position & 0xFF);
    }

    private void SetCursor(int row, int column, int page = 0)
    {
        _bench.Registers.Ebx = (uint)(page << 8);
        _bench.Registers.Edx = (uint)((row << 8) | column);
        Invoke(0x0200);
    }

    [Fact]
    public void Teletype_text_reaches_the_terminal_as_plain_text_and_moves_the_bda_cursor()
    {
        Teletype("Hello\r\nGRUB");
        Assert.Equal("Hello\r\nGRUB", _console.Output);
        Assert.Equal((1, 4), Cursor());
    }

    [Fact]
    public void Teletype_backspace_stops_at_column_0_and_bell_does_not_move()
    {
        Teletype("ab\b");
        Assert.Equal((0, 1), Cursor());
        Teletype("\r\b\a");
        Assert.Equal((0, 0), Cursor());
        Assert.Equal("ab\b\r\a", _console.Output);
    }

    [Fact]
    public void Teletype_wraps_at_80_columns_and_scrolls_at_the_last_row()
    {
        Teletype(new string('x', 81));
        Assert.Equal((1, 1), Cursor());
        SetCursor(24, 0);
        Teletype("\n");
        Assert.Equal((24, 0), Cursor());
    }

    [Fact]
    public void Teletype_tab_moves_to_the_next_multiple_of_8()
    {
        Teletype("ab\t");
        Assert.Equal((0, 8), Cursor());
        Assert.Equal("ab      ", _console.Output);
    }

    [Fact]
    public void Cursor_set_and_get_per_page_with_the_shape()
    {
        SetCursor(5, 10, page: 1);
        Assert.Equal((5, 10), Cursor(1));
        Assert.Equal((0, 0), Cursor(0));

        _bench.Registers.Ecx = 0x0D0E;
        Invoke(0x0100);
        Assert.Equal(0x0D0E, _bench.Memory.ReadUInt16(0x460));

        _bench.Registers.Ebx = 0x0100;
        Invoke(0x0300);
        Assert.Equal(0x050Au, _bench.Registers.Edx & 0xFFFF);
        Assert.Equal(0x0D0Eu, _bench.Registers.Ecx & 0xFFFF);
    }

    [Fact]
    public void Hiding_the_cursor_is_told_to_the_terminal()
    {
        _bench.Registers.Ecx = 0x2000;
        Invoke(0x0100);
        Assert.Equal("\e[?25l", _console.Output);
        _bench.Registers.Ecx = 0x0607;
        Invoke(0x0100);
        Assert.Equal("\e[?25l\e[?25h", _console.Output);
    }

    [Fact]
    public void Write_char_at_cursor_positions_the_terminal_colours_it_and_leaves_the_cursor()
    {
        SetCursor(3, 5);
        _bench.Registers.Ebx = 0x001F; // page 0, bright white on blue
        _bench.Registers.Ecx = 3;
        Invoke(0x0900 | 'A');
        Assert.Equal("\e[4;6H\e[0;1;37;44mAAA", _console.Output);
        Assert.Equal((3, 5), Cursor());

        // 0Ah keeps the attribute; the terminal is already past the three A's, so it moves back.
        _console.ClearOutput();
        _bench.Registers.Ecx = 1;
        Invoke(0x0A00 | 'B');
        Assert.Equal("\e[4;6HB", _console.Output);
    }

    /// <summary>GRUB's console: getxy (03h), one 09h, gotoxy to the next column (02h); CR LF by
    /// teletype at column 79. The terminal must get plain text, with no cursor moves.</summary>
    private void GrubPutchar(char c)
    {
        if (c is '\r' or '\n')
        {
            _bench.Registers.Ebx = 1;
            Invoke((ushort)(0x0E00 | c));
            return;
        }
        _bench.Registers.Ebx = 0;
        Invoke(0x0300);
        uint position = _bench.Registers.Edx & 0xFFFF;
        _bench.Registers.Ebx = 0x0007;
        _bench.Registers.Ecx = 1;
        Invoke((ushort)(0x0900 | c));
        if ((position & 0xFF) >= 79)
        {
            GrubPutchar('\r');
            GrubPutchar('\n');
        }
        else
        {
            SetCursor((int)(position >> 8), (int)(position & 0xFF) + 1);
        }
    }

    [Fact]
    public void Grub_style_output_reaches_the_terminal_as_plain_text()
    {
        foreach (char c in "GNU GRUB\r\n" + new string('=', 80) + "ok")
        {
            GrubPutchar(c);
        }
        Assert.Equal("GNU GRUB\r\n" + new string('=', 80) + "\r\nok", _console.Output);
        Assert.Equal((2, 2), Cursor());
    }

    [Fact]
    public void Grub_style_clear_screen_is_one_erase()
    {
        SetCursor(0, 0);
        _bench.Registers.Ebx = 0x0007;
        _bench.Registers.Ecx = 80 * 25;
        Invoke(0x0900 | ' ');
        Assert.Equal("\e[J", _console.Output); // the terminal is believed at the top left already
        Assert.Equal((0, 0), Cursor());
    }

    [Fact]
    public void Write_char_is_clipped_at_the_end_of_the_screen()
    {
        SetCursor(24, 78);
        _bench.Registers.Ebx = 0x0007;
        _bench.Registers.Ecx = 500;
        Invoke(0x0900 | 'x');
        Assert.Equal("\e[25;79Hxx", _console.Output);
    }

    [Fact]
    public void Box_drawing_characters_reach_the_terminal_as_utf8_glyphs()
    {
        _bench.Registers.Ebx = 0x0007;
        _bench.Registers.Ecx = 1;
        Invoke(0x09C9); // CP437 top-left double corner
        Teletype("\x18");
        Assert.Equal("╔↑", _console.Output);
        Assert.Equal('A', CodePage437.GlyphOf(0x41));
        Assert.Equal('\u00A0', CodePage437.GlyphOf(0xFF));
    }

    [Fact]
    public void Teletype_after_coloured_text_returns_to_the_default_colours()
    {
        _bench.Registers.Ebx = 0x0070;
        _bench.Registers.Ecx = 1;
        Invoke(0x0900 | ' ');
        _console.ClearOutput();
        Teletype("k");
        Assert.Equal("\e[0mk", _console.Output);
    }

    [Fact]
    public void Scrolling_the_whole_screen_by_0_lines_clears_it()
    {
        _bench.Registers.Ecx = 0x0000;
        _bench.Registers.Edx = 0x184F;
        _bench.Registers.Ebx = 0x0700;
        Invoke(0x0600);
        Assert.Equal("\e[2J\e[H", _console.Output);
    }

    [Fact]
    public void Scrolling_full_width_rows_uses_a_scroll_region()
    {
        _bench.Registers.Ecx = 0x0200;
        _bench.Registers.Edx = 0x104F;
        _bench.Registers.Ebx = 0x0700;
        Invoke(0x0602);
        Assert.Equal("\e[3;17r\e[17;1H\n\n\e[r", _console.Output);
        _console.ClearOutput();
        Invoke(0x0701);
        Assert.Equal("\e[3;17r\e[3;1H\eM\e[r", _console.Output);
    }

    [Fact]
    public void Clearing_a_window_blanks_only_that_window()
    {
        _bench.Registers.Ecx = 0x0102;
        _bench.Registers.Edx = 0x0204;
        _bench.Registers.Ebx = 0x0700;
        Invoke(0x0600);
        Assert.Equal("\e[2;3H   \e[3;3H   ", _console.Output);
    }

    [Fact]
    public void Set_mode_3_homes_the_bda_cursor_and_keeps_the_terminal_text()
    {
        Teletype("kept");
        SetCursor(10, 10);
        _bench.Registers.Ecx = 0x2000;
        Invoke(0x0100);
        _console.ClearOutput();
        Invoke(0x0003);
        Assert.Equal((0, 0), Cursor());
        Assert.Equal(0x0607, _bench.Memory.ReadUInt16(0x460));
        Assert.Equal(0x30, _bench.Ax & 0xFF);
        Assert.Equal("\e[?25h", _console.Output); // the cursor shows again; nothing is erased

        // The terminal's cursor is elsewhere: the next positioned write moves it explicitly.
        _bench.Registers.Ebx = 0x0007;
        _bench.Registers.Ecx = 1;
        _console.ClearOutput();
        Invoke(0x0900 | 'x');
        Assert.Equal("\e[1;1Hx", _console.Output);
    }

    [Fact]
    public void Other_modes_are_logged_once_and_mode_3_stays()
    {
        Invoke(0x0013);
        Invoke(0x0013);
        Assert.Single(_bench.Unsupported.Reported);
        Invoke(0x0F00);
        Assert.Equal(0x5003, _bench.Ax); // 80 columns, mode 3
        Assert.Equal(0u, (_bench.Registers.Ebx >> 8) & 0xFF);
    }

    [Fact]
    public void Get_mode_reports_the_active_page()
    {
        Invoke(0x0502);
        Invoke(0x0F00);
        Assert.Equal(0x5003, _bench.Ax);
        Assert.Equal(2u, (_bench.Registers.Ebx >> 8) & 0xFF);
        Assert.Equal(0x2000, _bench.Memory.ReadUInt16(0x44E));
    }

    [Fact]
    public void Vbe_probe_fails_cleanly()
    {
        _bench.Registers.Es = 0x2000;
        _bench.Registers.Edi = 0;
        Invoke(0x4F00);
        Assert.NotEqual(0x004F, _bench.Ax);
        Assert.Equal(0x014F, _bench.Ax);
        Assert.Equal(0u, _bench.Memory.ReadUInt32(0x20000)); // no VbeInfoBlock written
    }

    [Fact]
    public void Ega_query_says_no_ega_and_display_combination_says_cga_colour()
    {
        _bench.Registers.Ebx = 0x0010;
        _bench.Registers.Ecx = 0xFFFF;
        Invoke(0x1200);
        Assert.Equal(0x10u, _bench.Registers.Ebx & 0xFF);
        Assert.Equal(0xFFFFu, _bench.Registers.Ecx);

        Invoke(0x1A00);
        Assert.Equal(0x1A, _bench.Ax & 0xFF);
        Assert.Equal(0x0002u, _bench.Registers.Ebx & 0xFFFF);
    }

    [Fact]
    public void Write_string_with_attributes_and_cursor_update()
    {
        _bench.Memory.Write(0x3000, "H\x1fi\x1f"u8);
        _bench.Registers.Es = 0x0300;
        _bench.Registers.Ebp = 0;
        _bench.Registers.Ecx = 2;
        _bench.Registers.Ebx = 0x0000;
        _bench.Registers.Edx = 0x0102;
        Invoke(0x1303);
        Assert.Equal("\e[2;3H\e[0;1;37;44mHi", _console.Output);
        Assert.Equal((1, 4), Cursor());
    }

    [Fact]
    public void Write_string_without_cursor_update_leaves_the_cursor()
    {
        _bench.Memory.Write(0x3000, "ok"u8);
        _bench.Registers.Es = 0x0300;
        _bench.Registers.Ebp = 0;
        _bench.Registers.Ecx = 2;
        _bench.Registers.Ebx = 0x0007;
        _bench.Registers.Edx = 0x0500;
        Invoke(0x1300);
        Assert.Equal((0, 0), Cursor());
        Assert.EndsWith("ok", _console.Output);
    }

    [Fact]
    public void Write_string_from_outside_memory_fails()
    {
        _bench.Registers.Es = 0xFFFF;
        _bench.Registers.Ebp = 0xFFF0;
        _bench.Registers.Ecx = 0x100;
        Invoke(0x1301);
        Assert.True(_bench.Carry);
        Assert.Equal("", _console.Output);
    }

    [Fact]
    public void Pages_beyond_7_are_ignored()
    {
        SetCursor(3, 3, page: 8);
        Assert.Equal(0x0607, _bench.Memory.ReadUInt16(0x460)); // page 8's slot would be the cursor shape's
        _bench.Registers.Ebx = 0x0807;
        _bench.Registers.Ecx = 1;
        Invoke(0x0900 | 'x');
        Invoke(0x0508);
        Assert.Equal(0, _bench.Memory.ReadByte(0x462));
        Assert.Equal("", _console.Output);
    }

    [Fact]
    public void Inverted_scroll_windows_do_nothing()
    {
        _bench.Registers.Ecx = 0x1000;
        _bench.Registers.Edx = 0x054F;
        Invoke(0x0601);
        Assert.Equal("", _console.Output);
    }

    [Fact]
    public void Corners_beyond_the_screen_are_clamped()
    {
        _bench.Registers.Ecx = 0x0000;
        _bench.Registers.Edx = 0xFFFF;
        _bench.Registers.Ebx = 0x0700;
        Invoke(0x0600);
        Assert.Equal("\e[2J\e[H", _console.Output);
    }

    [Fact]
    public void Unknown_functions_are_unsupported()
    {
        Invoke(0x1100);
        Assert.True(_bench.Carry);
        Assert.Equal(0x01, _bench.Ax >> 8);
    }

    /// <summary>08h at page 0's cursor: AL the character, AH the attribute.</summary>
    private ushort ReadAt(int row, int column)
    {
        SetCursor(row, column);
        _bench.Registers.Ebx = 0;
        Invoke(0x0800);
        return _bench.Ax;
    }

    private ushort Cell(int row, int column, int page = 0) => _bench.Memory.ReadUInt16(0xB8000 + (ulong)(page * 0x1000) + (ulong)(2 * ((row * 80) + column)));

    /// <summary>Row <paramref name="row"/> from <paramref name="column"/>: <paramref name="text"/> in <paramref name="attribute"/> by 09h, one call per character.</summary>
    private void WriteRow(int row, int column, string text, byte attribute = 0x07)
    {
        for (int i = 0; i < text.Length; i++)
        {
            SetCursor(row, column + i);
            _bench.Registers.Ebx = attribute;
            _bench.Registers.Ecx = 1;
            Invoke((ushort)(0x0900 | text[i]));
        }
    }

    [Fact]
    public void Read_char_returns_what_was_written_with_its_attribute()
    {
        TextVideoMemory.Clear(_bench.Memory); // POST's blank screen
        Assert.Equal(0x0720, ReadAt(5, 5));

        SetCursor(3, 5);
        _bench.Registers.Ebx = 0x001F;
        _bench.Registers.Ecx = 3;
        Invoke(0x0900 | 'A');
        Assert.Equal(0x1F41, ReadAt(3, 7));
        Assert.Equal(0x0720, ReadAt(3, 8));

        // 0Ah and teletype change the character only, as a VGA BIOS writes them.
        SetCursor(3, 6);
        _bench.Registers.Ecx = 1;
        Invoke(0x0A00 | 'B');
        Assert.Equal(0x1F42, ReadAt(3, 6));
        SetCursor(3, 5);
        Teletype("C");
        Assert.Equal(0x1F43, ReadAt(3, 5));

        // 13h with attributes in the string.
        "X\x4EY\x2F"u8.ToArray().CopyTo(_bench.Memory.GetSpan(0x5000, 4));
        _bench.Registers.Es = 0x500;
        _bench.Registers.Ebp = 0;
        _bench.Registers.Ebx = 0;
        _bench.Registers.Ecx = 2;
        _bench.Registers.Edx = 0x0A00;
        Invoke(0x1302);
        Assert.Equal(0x4E58, ReadAt(10, 0));
        Assert.Equal(0x2F59, ReadAt(10, 1));
    }

    [Fact]
    public void Read_char_reads_the_cursor_of_the_page_asked_for()
    {
        _bench.Memory.WriteUInt16(0xB8000 + 0x1000 + (2 * ((2 * 80) + 3)), 0x3A21);
        SetCursor(2, 3, page: 1);
        _bench.Registers.Ebx = 0x0100;
        Invoke(0x0800);
        Assert.Equal(0x3A21, _bench.Ax);
    }

    [Fact]
    public void Teletype_at_the_last_row_scrolls_video_memory_up_with_blank_default_cells()
    {
        TextVideoMemory.Clear(_bench.Memory);
        WriteRow(0, 0, "top", 0x1F);
        SetCursor(24, 0);
        Teletype("last\r\n");
        Assert.Equal((24, 0), Cursor());
        Assert.Equal(0x076C, Cell(23, 0));          // 'l' moved up a row
        Assert.Equal(0x0720, Cell(24, 0));          // the new row is blank
        Assert.Equal(0x0720, Cell(0, 0));           // the top row scrolled away
    }

    [Fact]
    public void A_narrow_window_scrolls_its_own_cells_and_is_redrawn_on_the_terminal()
    {
        TextVideoMemory.Clear(_bench.Memory);
        WriteRow(4, 10, "abcd");
        WriteRow(5, 10, "efgh", 0x1F);
        WriteRow(6, 10, "ijkl");
        WriteRow(5, 8, "<<");   // outside the window, left of it
        WriteRow(5, 14, ">>");  // and right of it
        SetCursor(20, 0);
        _console.ClearOutput();

        // Up one line in rows 4-6, columns 10-13; the new line in attribute 70h.
        _bench.Registers.Ecx = 0x040A;
        _bench.Registers.Edx = 0x060D;
        _bench.Registers.Ebx = 0x7000;
        Invoke(0x0601);

        Assert.Equal(0x1F65, Cell(4, 10));          // 'e' in its attribute, from row 5
        Assert.Equal(0x0769, Cell(5, 10));          // 'i'
        Assert.Equal(0x7020, Cell(6, 10));          // blank in BH
        Assert.Equal(0x073C, Cell(5, 9));           // '<' stays
        Assert.Equal(0x073E, Cell(5, 14));          // '>' stays
        Assert.Equal(0x1F65, ReadAt(4, 10));
        // The terminal gets the window's rows again, each in its colours, then its cursor back at the BIOS cursor.
        Assert.Equal("\e[5;11H\e[0;1;37;44mefgh\e[6;11H\e[0mijkl\e[7;11H\e[0;30;47m    \e[21;1H", _console.Output);

        // Down one line: row 4 becomes blank, row 5 gets what row 4 had.
        _bench.Registers.Ecx = 0x040A;
        _bench.Registers.Edx = 0x060D;
        _bench.Registers.Ebx = 0x0700;
        Invoke(0x0701);
        Assert.Equal(0x0720, Cell(4, 10));
        Assert.Equal(0x1F65, Cell(5, 10));
        Assert.Equal(0x0769, Cell(6, 10));
    }

    [Fact]
    public void Scrolling_and_clearing_full_width_also_move_video_memory()
    {
        WriteRow(3, 0, "x");
        _bench.Registers.Ecx = 0x0200;
        _bench.Registers.Edx = 0x104F;
        _bench.Registers.Ebx = 0x0700;
        Invoke(0x0601);
        Assert.Equal(0x0778, Cell(2, 0));
        Assert.Equal(0x0720, Cell(16, 0));

        _bench.Registers.Ecx = 0x0000;
        _bench.Registers.Edx = 0x184F;
        _bench.Registers.Ebx = 0x1E00;
        Invoke(0x0600);
        Assert.Equal(0x1E20, Cell(2, 0));
        Assert.Equal(0x1E20, Cell(24, 79));
    }

    [Fact]
    public void Set_mode_3_blanks_video_memory_unless_al_bit_7_keeps_it()
    {
        WriteRow(1, 1, "k");
        Invoke(0x0083);
        Assert.Equal(0x076B, Cell(1, 1));
        Invoke(0x0003);
        Assert.Equal(0x0720, Cell(1, 1));
        Assert.Equal(0x0720, Cell(24, 79, page: 7));
    }
}
