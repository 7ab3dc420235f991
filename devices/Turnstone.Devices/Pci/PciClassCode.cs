namespace Turnstone.Devices.Pci;

/// <summary>Base class, subclass and programming interface (config offsets 0x0B, 0x0A, 0x09).</summary>
public readonly record struct PciClassCode(byte BaseClass, byte SubClass, byte ProgrammingInterface)
{
    /// <summary>06/00/00: the host bridge a guest looks for at 00:00.0 before trusting 0xCF8.</summary>
    public static PciClassCode HostBridge => new(0x06, 0x00, 0x00);
}
