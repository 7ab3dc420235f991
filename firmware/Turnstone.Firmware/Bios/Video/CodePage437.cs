using System.Text;

namespace Turnstone.Firmware.Bios.Video;

/// <summary>
/// The PC's character set (code page 437) as the glyphs a VGA text screen shows, so the box
/// drawing and arrows boot loaders draw with (GRUB's menu frame, its scroll marks) reach a UTF-8
/// terminal as the same pictures rather than as stray bytes.
/// </summary>
public static class CodePage437
{
    private const string Glyphs =
        " ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼" +
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~⌂" +
        "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»" +
        "░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀" +
        "αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00A0";

    public static char GlyphOf(byte value) => Glyphs[value];

    /// <summary>The UTF-8 bytes of <paramref name="value"/>'s glyph into <paramref name="destination"/>
    /// (at least 3 bytes); returns how many.</summary>
    public static int EncodeUtf8(byte value, Span<byte> destination)
    {
        char glyph = Glyphs[value];
        return Encoding.UTF8.GetBytes(new ReadOnlySpan<char>(in glyph), destination);
    }
}
