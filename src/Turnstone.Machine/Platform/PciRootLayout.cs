using Turnstone.Acpi.Description;
using Turnstone.PciRoot;

namespace Turnstone.Machine.Platform;

/// <summary>
/// PCI segment 0's root complex as the machine places it: the ECAM window (from bus 0, 1 MiB a
/// bus), the configuration-mechanism-#1 ports, and the windows BARs are assigned from. The buses
/// get ECAM and the ports from here, the BAR allocator its windows, and the MCFG and the root
/// bridge's _CRS the same numbers.
/// </summary>
internal sealed record PciRootLayout(AddressWindow Ecam, AddressWindow ConfigurationPorts, AddressWindow Mmio32Window, AddressWindow IoBarWindow)
{
    private const ulong PortSpace = 0x1_0000;

    public byte LastBus => (byte)(Ecam.Size / PciRootDescription.EcamBytesPerBus - 1);

    /// <summary>The I/O the root bridge forwards to PCI: every port but the configuration ports, which it keeps.</summary>
    public IReadOnlyList<AddressWindow> ForwardedIoWindows =>
    [
        new AddressWindow(0, ConfigurationPorts.Base),
        new AddressWindow(ConfigurationPorts.Last + 1, PortSpace - (ConfigurationPorts.Last + 1)),
    ];
}
