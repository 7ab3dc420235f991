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
public sealed record AmlScope : IAmlObject
{
    public AmlScope(NamePath path, params IReadOnlyList<IAmlObject> terms)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(terms);
        Path = path;
        Terms = terms.ToArray();
    }

    public NamePath Path { get; }

    public IReadOnlyList<IAmlObject> Terms { get; }

    public void WriteTo(AmlWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WritePackage([AmlOpcode.Scope], body =>
        {
            Path.WriteTo(body);
            foreach (var term in Terms)
            {
                term.WriteTo(body);
            }
        });
    }
}

/// <summary>Device(path) { terms }: a device node, ExtOpPrefix + DeviceOp.</summary>
public sealed record AmlDevice : IAmlObject
{
    public AmlDevice(NamePath path, params IReadOnlyList<IAmlObject> terms)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(terms);
        Path = path;
        Terms = terms.ToArray();
    }

    public NamePath Path { get; }

    public IReadOnlyList<IAmlObject> Terms { get; }

    public void WriteTo(AmlWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WritePackage([AmlOpcode.ExtendedPrefix, AmlOpcode.DeviceSuffix], body =>
        {
            Path.WriteTo(body);
            foreach (var term in Terms)
            {
                term.WriteTo(body);
            }
        });
    }
}
