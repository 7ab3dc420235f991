using System.Buffers.Binary;

namespace Turnstone.Devices.Pci;

/// <summary>
/// The PCI Express capability (ID 0x10, version 2) of a Root Complex Integrated Endpoint: a
/// function on the root bus with no link, so the link, slot and root registers are absent (zero)
/// and Linux skips link training, ASPM and hot-plug for it.
/// </summary>
public static class PciExpressCapability
{
    public const int Length = 0x3C;

    // Offsets within the capability.
    public const int CapabilitiesRegister = 0x02, DeviceCapabilities = 0x04, DeviceControl = 0x08, DeviceStatus = 0x0A;

    private const ushort Version2 = 0x2, RootComplexIntegratedEndpoint = 0x9 << 4;
    private const uint RoleBasedErrorReporting = 1u << 15; // must be set by PCIe 1.1 and later functions

    // Error reporting enables, relaxed ordering, Max_Payload_Size, extended tags, no snoop and
    // Max_Read_Request_Size are the guest's to set; phantom functions, aux power and FLR are not
    // supported, so their bits stay zero.
    private const ushort WritableDeviceControl = 0x01FF | 0x0800 | 0x7000;
    // Reset value: relaxed ordering and no snoop enabled, 512-byte read requests.
    private const ushort DeviceControlAtReset = 0x0010 | 0x0800 | 0x2000;
    // Correctable/non-fatal/fatal/unsupported-request detected bits.
    private const ushort DeviceStatusErrorBits = 0x000F;

    /// <summary>Appends the capability; returns its offset.</summary>
    public static int AddIntegratedEndpoint(PciConfigSpace config)
    {
        ArgumentNullException.ThrowIfNull(config);
        // The body starts after the two-byte header, so body index = capability offset - 2.
        var body = new byte[Length - 2];
        var writable = new byte[body.Length];
        var clearOnWrite = new byte[body.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(CapabilitiesRegister - 2), Version2 | RootComplexIntegratedEndpoint);
        // Max_Payload_Size supported: 128 bytes (encoding 0).
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(DeviceCapabilities - 2), RoleBasedErrorReporting);
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(DeviceControl - 2), DeviceControlAtReset);
        BinaryPrimitives.WriteUInt16LittleEndian(writable.AsSpan(DeviceControl - 2), WritableDeviceControl);
        BinaryPrimitives.WriteUInt16LittleEndian(clearOnWrite.AsSpan(DeviceStatus - 2), DeviceStatusErrorBits);
        return config.AddCapability(PciCapabilityId.PciExpress, body, writable, clearOnWrite);
    }
}
