namespace Turnstone.Acpi.Aml;

/// <summary>Return(value): ReturnOp followed by the returned term.</summary>
public sealed record AmlReturn(IAmlObject Value) : IAmlObject
{
    public void WriteTo(AmlWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteByte(AmlOpcode.Return);
        Value.WriteTo(writer);
    }
}
