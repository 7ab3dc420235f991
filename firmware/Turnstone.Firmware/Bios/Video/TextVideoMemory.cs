using Turnstone.GuestMemory;

namespace Turnstone.Firmware.Bios.Video;

/// <summary>
/// Text mode 3's pages as a VGA BIOS keeps them: at B8000h, a 16-bit cell per character (low byte
/// the character, high byte the attribute), page n 1000h bytes further. There is no VGA behind
/// this RAM (the machine maps plain RAM there, which E820 reserves), so nothing shows what the guest
/// writes here directly; the terminal shows what INT 10h draws. INT 10h keeps these cells as
/// SeaBIOS's vgafb does so that 08h reads back what was written, a window narrower than the screen
/// scrolls its own cells (the terminal cannot move part of a line, so those rows are redrawn from
/// here), and a guest reading video memory itself (Linux's setup code saves the screen before it
/// sets the mode and writes it back after) finds the screen a PC would have.
/// </summary>
public static class TextVideoMemory
{
    public const int Columns = TerminalScreen.Columns, Rows = TerminalScreen.Rows;

    /// <summary>A blank cell: a space in the default attribute.</summary>
    public const ushort BlankCell = (TerminalScreen.DefaultAttribute << 8) | ' ';

    private const int AllPagesBytes = BiosMemoryLayout.TextPages * BiosMemoryLayout.TextPageBytes;

    /// <summary>Blanks all eight pages, as a mode set without AL bit 7 (and POST's mode 3) does.</summary>
    public static void Clear(IGuestMemory memory)
    {
        if (memory.TryGetSpan(BiosMemoryLayout.TextVideoMemory, AllPagesBytes, out var pages))
        {
            FillCells(pages, BlankCell);
        }
    }

    /// <summary>The cell at (row, column) of <paramref name="page"/>: character | attribute &lt;&lt; 8 (0 where there is no RAM).</summary>
    public static ushort Read(IGuestMemory memory, int page, int row, int column) =>
        TryGetCells(memory, page, row, column, 1, out var cell) ? (ushort)(cell[0] | (cell[1] << 8)) : (ushort)0;

    /// <summary>The <paramref name="count"/> cells from (row, column) of <paramref name="page"/>, two bytes each.</summary>
    public static bool TryGetCells(IGuestMemory memory, int page, int row, int column, int count, out Span<byte> cells) =>
        memory.TryGetSpan(PageAddress(page) + (ulong)CellOffset(row, column), 2 * count, out cells);

    /// <summary>Writes <paramref name="count"/> copies of <paramref name="character"/> from (row, column),
    /// row after row, clipped at the page's end; a null attribute keeps each cell's own.</summary>
    public static void Write(IGuestMemory memory, int page, int row, int column, byte character, byte? attribute, int count = 1)
    {
        if (!TryGetPage(memory, page, out var cells))
        {
            return;
        }
        int start = (row * Columns) + column;
        int end = Math.Min(start + count, Rows * Columns);
        for (int cell = start; cell < end; cell++)
        {
            cells[2 * cell] = character;
            if (attribute is { } colours)
            {
                cells[(2 * cell) + 1] = colours;
            }
        }
    }

    /// <summary>
    /// Scrolls the window (top..bottom, left..right inclusive) of <paramref name="page"/> by
    /// <paramref name="lines"/>: up when positive, down when negative, and blanks it when 0; the
    /// lines scrolled in are spaces in <paramref name="attribute"/>. The caller has clipped the window
    /// to the screen and made |lines| less than its height.
    /// </summary>
    public static void Scroll(IGuestMemory memory, int page, int top, int left, int bottom, int right, int lines, byte attribute)
    {
        if (!TryGetPage(memory, page, out var cells))
        {
            return;
        }
        int width = 2 * (right - left + 1);
        ushort blank = (ushort)((attribute << 8) | ' ');
        if (lines == 0)
        {
            lines = bottom - top + 1; // everything scrolls out
        }
        int height = bottom - top + 1, moved = height - Math.Abs(lines);
        for (int i = 0; i < moved; i++)
        {
            // Up: rows move towards the top, the top first; down: the bottom first.
            int destination = lines > 0 ? top + i : bottom - i;
            int source = destination + lines;
            cells.Slice(CellOffset(source, left), width).CopyTo(cells.Slice(CellOffset(destination, left), width));
        }
        for (int i = 0; i < height - moved; i++)
        {
            int row = lines > 0 ? bottom - i : top + i;
            FillCells(cells.Slice(CellOffset(row, left), width), blank);
        }
    }

    private static int CellOffset(int row, int column) => 2 * ((row * Columns) + column);

    private static void FillCells(Span<byte> cells, ushort value)
    {
        for (int i = 0; i + 1 < cells.Length; i += 2)
        {
            cells[i] = (byte)value;
            cells[i + 1] = (byte)(value >> 8);
        }
    }

    private static ulong PageAddress(int page) => BiosMemoryLayout.TextVideoMemory + (ulong)(page * BiosMemoryLayout.TextPageBytes);

    private static bool TryGetPage(IGuestMemory memory, int page, out Span<byte> cells) =>
        memory.TryGetSpan(PageAddress(page), 2 * Rows * Columns, out cells);
}
