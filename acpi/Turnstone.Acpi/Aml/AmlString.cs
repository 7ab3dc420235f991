using System.Text;

namespace Turnstone.Acpi.Aml;

/// <summary>A string constant: StringPrefix, ASCII characters 0x01-0x7F, NullChar.</summary>
public sealed record AmlString : IAmlObject
{
    public AmlString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Any(c => c is '\0' or > '\x7F'))
        {
            throw new ArgumentException("AML strings hold ASCII 0x01-0x7F only", nameof(value));
        }
        Value = value;
    }

    public string Value { get; }

    public void WriteTo(AmlWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteByte(AmlOpcode.StringPrefix);
        writer.WriteBytes(Encoding.ASCII.GetBytes(Value));
        writer.WriteByte(0);
    }
}
