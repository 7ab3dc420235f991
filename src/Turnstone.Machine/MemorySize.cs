using System.Globalization;

namespace Turnstone.Machine;

/// <summary>Parses sizes such as "512M", "2G", "65536K" or a plain byte count.</summary>
public static class MemorySize
{
    public static bool TryParse(string text, out ulong bytes, out string? error)
    {
        bytes = 0;
        error = null;
        text = text.Trim();
        if (text.Length == 0)
        {
            error = "empty size";
            return false;
        }
        // "Mi", "Gi"...: binary prefixes, the same as the bare letter here.
        string body = text.Length >= 2 && text[^1] is 'i' or 'I' && char.ToUpperInvariant(text[^2]) is 'K' or 'M' or 'G' or 'T'
            ? text[..^1]
            : text;
        ulong multiplier = char.ToUpperInvariant(body[^1]) switch
        {
            'K' => 1ul << 10,
            'M' => 1ul << 20,
            'G' => 1ul << 30,
            'T' => 1ul << 40,
            _ => 1,
        };
        string digits = multiplier == 1 ? body : body[..^1];
        if (!ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value) || value == 0)
        {
            error = $"'{text}' is not a size (examples: 512M, 2G)";
            return false;
        }
        if (value > ulong.MaxValue / multiplier)
        {
            error = $"'{text}' is too large";
            return false;
        }
        bytes = value * multiplier;
        return true;
    }
}
