namespace Turnstone.Acpi.Aml;

/// <summary>Name(path, value): declares a named data object.</summary>
public sealed record AmlName(NamePath Path, IAmlObject Value) : IAmlObject
{
    public void WriteTo(AmlWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteByte(AmlOpcode.Name);
        Path.WriteTo(writer);
        Value.WriteTo(writer);
    }
}
