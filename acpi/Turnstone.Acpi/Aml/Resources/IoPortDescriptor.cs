namespace Turnstone.Acpi.Aml.Resources;

/// <summary>
/// ASL IO(): the small I/O Port Descriptor (tag 0x47, 7 data bytes). Decode16 is the only
/// decode we produce: the ports are full 16-bit addresses, not 10-bit ISA aliases.
/// </summary>
public sealed record IoPortDescriptor(ushort Minimum, ushort Maximum, byte Alignment, byte Length) : IResourceDescriptor
{
    /// <summary>A fixed range: the device sits at <paramref name="port"/> and nowhere else.</summary>
    public static IoPortDescriptor Fixed(ushort port, byte length) => new(port, port, 1, length);

    public void WriteTo(AmlWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteByte(0x47);
        writer.WriteByte(0x01); // decodes 16 bits
        writer.WriteUInt16(Minimum);
        writer.WriteUInt16(Maximum);
        writer.WriteByte(Alignment);
        writer.WriteByte(Length);
    }
}
