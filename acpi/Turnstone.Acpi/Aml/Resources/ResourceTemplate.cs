namespace Turnstone.Acpi.Aml.Resources;

/// <summary>
/// ASL's ResourceTemplate(): a Buffer holding the descriptors followed by the End Tag (0x79)
/// with a checksum byte of 0, which the spec defines as "treat the template as checksummed".
/// </summary>
public sealed record ResourceTemplate : IAmlObject
{
    private const byte EndTag = 0x79;

    public ResourceTemplate(params IReadOnlyList<IResourceDescriptor> descriptors)
    {
        ArgumentNullException.ThrowIfNull(descriptors);
        Descriptors = descriptors.ToArray();
    }

    public IReadOnlyList<IResourceDescriptor> Descriptors { get; }

    public void WriteTo(AmlWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var contents = new AmlWriter();
        foreach (var descriptor in Descriptors)
        {
            descriptor.WriteTo(contents);
        }
        contents.WriteByte(EndTag);
        contents.WriteByte(0);
        new AmlBuffer(contents.Written).WriteTo(writer);
    }

    public bool Equals(ResourceTemplate? other) => other is not null && Descriptors.SequenceEqual(other.Descriptors);

    public override int GetHashCode() => Descriptors.Count;
}
