using Turnstone.GuestMemory;

namespace Turnstone.Machine;

/// <summary>
/// Where RAM goes in the guest-physical space: below the 32-bit PCI/MMIO hole (3 GiB-4 GiB), and the
/// rest from 4 GiB up, as on a PC.
/// </summary>
public static class GuestRamLayout
{
    public const ulong MmioHoleStart = 0xC000_0000;
    public const ulong HighRamStart = 0x1_0000_0000;

    public static GuestMemoryRegion[] For(ulong bytes)
    {
        if (bytes % 4096 != 0)
        {
            throw new ArgumentException("guest memory must be a whole number of 4 KiB pages");
        }
        if (bytes <= MmioHoleStart)
        {
            return [new GuestMemoryRegion(0, bytes)];
        }
        return [new GuestMemoryRegion(0, MmioHoleStart), new GuestMemoryRegion(HighRamStart, bytes - MmioHoleStart)];
    }
}
