using System.Text;

namespace Turnstone.Acpi.Aml;

/// <summary>
/// One four-character name segment. Shorter names are padded with '_' as ASL does ("_S5" is
/// "_S5_"): the padding is part of the name, so "S5" and "S5__" are the same object.
/// </summary>
public readonly record struct NameSeg
{
    public const int Length = 4;

    public NameSeg(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > Length)
        {
            throw new ArgumentException($"name segment '{name}' must be 1 to {Length} characters", nameof(name));
        }
        if (!IsLeadChar(name[0]) || !name.All(IsNameChar))
        {
            throw new ArgumentException($"name segment '{name}': A-Z or '_' first, then A-Z, 0-9 or '_'", nameof(name));
        }
        Value = name.PadRight(Length, '_');
    }

    public string Value { get; }

    public void WriteTo(AmlWriter writer) => writer.WriteBytes(Encoding.ASCII.GetBytes(Value));

    public override string ToString() => Value;

    public static implicit operator NameSeg(string name) => new(name);

    private static bool IsLeadChar(char c) => c is (>= 'A' and <= 'Z') or '_';

    private static bool IsNameChar(char c) => IsLeadChar(c) || c is >= '0' and <= '9';
}
