namespace Turnstone.Acpi.Aml;

/// <summary>Device(path) { terms }: a device node, ExtOpPrefix + DeviceOp.</summary>
public sealed record AmlDevice(NamePath Path, params IReadOnlyList<IAmlObject> Terms) : IAmlObject
{
    public void WriteTo(AmlWriter writer) => AmlNamedBlock.Write(writer, [AmlOpcode.ExtendedPrefix, AmlOpcode.DeviceSuffix], Path, Terms);
}
