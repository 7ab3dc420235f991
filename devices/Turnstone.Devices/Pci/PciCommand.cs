namespace Turnstone.Devices.Pci;

/// <summary>Command register bits a PCIe function implements; the rest are hardwired to zero.</summary>
[Flags]
public enum PciCommand : ushort
{
    None = 0,
    IoSpace = 1 << 0,
    MemorySpace = 1 << 1,
    BusMaster = 1 << 2,
    ParityErrorResponse = 1 << 6,
    SerrEnable = 1 << 8,
    InterruptDisable = 1 << 10,
}
