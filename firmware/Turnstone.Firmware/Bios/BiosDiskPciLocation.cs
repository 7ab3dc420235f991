namespace Turnstone.Firmware.Bios;

/// <summary>
/// Where a BIOS drive's controller sits on PCI (bus, device, function: the disk's virtio-blk
/// function), which INT 13h 48h reports in the EDD 3.0 device path so a kernel can tie drive 80h
/// to its PCI device (Linux's /sys/firmware/edd/int13_dev80/host_bus and pci_dev).
/// </summary>
public readonly record struct BiosDiskPciLocation(byte Bus, byte Device, byte Function);
