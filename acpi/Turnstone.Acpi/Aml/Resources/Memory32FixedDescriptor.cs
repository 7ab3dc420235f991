namespace Turnstone.Acpi.Aml.Resources;

/// <summary>ASL Memory32Fixed(): the 32-bit Fixed Memory Range Descriptor (large item 0x86, 9 data bytes).</summary>
public sealed record Memory32FixedDescriptor(uint Base, uint Length, bool Writable = true) : IResourceDescriptor
{
    public void WriteTo(AmlWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteByte(0x86);
        writer.WriteUInt16(9);
        writer.WriteByte(Writable ? (byte)1 : (byte)0);
        writer.WriteUInt32(Base);
        writer.WriteUInt32(Length);
    }
}
