using Turnstone.Acpi.Description;

namespace Turnstone.Acpi.Tables;

/// <summary>
/// The PCI Express memory-mapped configuration table (PCI Firmware Specification 3.2, 4.1.2):
/// 8 reserved bytes, then one 16-byte allocation per segment (base address of bus 0, segment,
/// start bus, end bus, 4 reserved). We have one segment.
/// </summary>
public static class Mcfg
{
    public static byte[] Build(PciRootDescription pci)
    {
        ArgumentNullException.ThrowIfNull(pci);
        var body = new TableWriter()
            .U64(0)
            .U64(pci.EcamBase)
            .U16(0) // PCI segment group
            .U8(pci.StartBus)
            .U8(pci.EndBus)
            .U32(0);
        return SystemDescriptionTable.Create("MCFG", 1, "MCFG", body.ToArray());
    }
}
