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

/// <summary>Scope(path) { terms }: opens an existing namespace node, typically \_SB.</summary>
public sealed record AmlScope(NamePath Path, params IReadOnlyList<IAmlObject> Terms) : IAmlObject
{
    public void WriteTo(AmlWriter writer) => AmlNamedBlock.Write(writer, [AmlOpcode.Scope], Path, Terms);
}

/// <summary>Device(path) { terms }: a device node, ExtOpPrefix + DeviceOp.</summary>
public sealed record AmlDevice(NamePath Path, params IReadOnlyList<IAmlObject> Terms) : IAmlObject
{
    public void WriteTo(AmlWriter writer) => AmlNamedBlock.Write(writer, [AmlOpcode.ExtendedPrefix, AmlOpcode.DeviceSuffix], Path, Terms);
}

/// <summary>The shape Scope and Device share: opcode, PkgLength, name, then the terms.</summary>
internal static class AmlNamedBlock
{
    public static void Write(AmlWriter writer, ReadOnlySpan<byte> opcode, NamePath path, IReadOnlyList<IAmlObject> terms)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(terms);
        writer.WritePackage(opcode, body =>
        {
            path.WriteTo(body);
            foreach (var term in terms)
            {
                term.WriteTo(body);
            }
        });
    }
}
