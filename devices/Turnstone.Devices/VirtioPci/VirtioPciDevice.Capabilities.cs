using System.Buffers.Binary;
using Turnstone.Devices.Pci;
using static Turnstone.Devices.VirtioPci.VirtioPciLayout;

namespace Turnstone.Devices.VirtioPci;

/// <summary>
/// The vendor-specific capabilities (struct virtio_pci_cap, virtio 1.2, 4.1.4) and the PCI
/// configuration access window (VIRTIO_PCI_CAP_PCI_CFG, 4.1.4.9), which lets firmware without
/// BAR access reach the structures through config space. Linux never uses the window, but the
/// spec requires it; it is implemented with the config space's read and write events.
/// </summary>
public sealed partial class VirtioPciDevice
{
    // Payload indices: the payload starts at cfg_type, after the ID, next and length bytes.
    private const int BarIndex = 1, OffsetIndex = 5, LengthIndex = 9, NotifyMultiplierIndex = 13, WindowDataIndex = 13;
    private const int BasicPayloadLength = 13;

    /// <summary>Config-space offsets of the window's fields relative to the capability (struct virtio_pci_cfg_cap).</summary>
    public const int WindowBar = VendorSpecificCapability.PayloadOffset + BarIndex,
        WindowOffset = VendorSpecificCapability.PayloadOffset + OffsetIndex,
        WindowLength = VendorSpecificCapability.PayloadOffset + LengthIndex,
        WindowData = VendorSpecificCapability.PayloadOffset + WindowDataIndex;

    /// <summary>Where the PCI_CFG capability sits in config space.</summary>
    public int PciConfigWindowOffset => _pciConfigCapability;

    private static byte[] VirtioCapability(byte cfgType, uint offset, uint length, int extra = 0)
    {
        var payload = new byte[BasicPayloadLength + extra];
        payload[0] = cfgType;
        payload[BarIndex] = StructureBar;
        // payload[2] is the id distinguishing several capabilities of one type; there is one of each.
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(OffsetIndex), offset);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(LengthIndex), length);
        return payload;
    }

    private int AddPciConfigWindow()
    {
        // bar, offset and length say where the access goes; pci_cfg_data carries it. All of them
        // are the driver's to write; the window starts out pointing nowhere (length 0).
        var payload = VirtioCapability(PciConfigType, 0, 0, extra: 4);
        var writable = new byte[payload.Length];
        writable[BarIndex] = 0xFF;
        writable.AsSpan(OffsetIndex).Fill(0xFF);
        int capability = VendorSpecificCapability.Add(Config, payload, writable);

        int data = capability + WindowData;
        // Both events fire under Config.Gate, which BAR accesses take too (re-entrantly).
        Config.GuestReading += (start, length) =>
        {
            if (PciConfigSpace.Overlaps(start, length, data, 4) && TryGetWindowTarget(capability, out int bar, out uint offset, out int width))
            {
                Span<byte> value = stackalloc byte[width];
                ReadBar(bar, offset, value);
                Config.SetBytes(data, value);
            }
        };
        Config.GuestWrote += (start, length) =>
        {
            if (PciConfigSpace.Overlaps(start, length, data, 4) && TryGetWindowTarget(capability, out int bar, out uint offset, out int width))
            {
                Span<byte> value = stackalloc byte[width];
                for (int i = 0; i < width; i++)
                {
                    value[i] = Config.ReadByte(data + i);
                }
                WriteBar(bar, offset, value);
            }
        };
        return capability;
    }

    /// <summary>
    /// The window's target, if it names a BAR of this function, a width of 1, 2 or 4 and an offset
    /// aligned to it (anything else is ignored, as 4.1.4.9.1 allows).
    /// </summary>
    private bool TryGetWindowTarget(int capability, out int bar, out uint offset, out int width)
    {
        bar = Config.ReadByte(capability + WindowBar);
        offset = Config.ReadUInt32(capability + WindowOffset);
        uint length = Config.ReadUInt32(capability + WindowLength);
        width = (int)Math.Min(length, 4u);
        return length is 1 or 2 or 4 && offset % length == 0 && (bar == StructureBar || bar == MsixBar);
    }
}
