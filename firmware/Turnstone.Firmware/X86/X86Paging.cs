using Turnstone.GuestMemory;

namespace Turnstone.Firmware.X86;

/// <summary>Identity page tables and a flat GDT for entering a kernel in 64-bit mode.</summary>
public static class X86Paging
{
    public const ulong Cr0ProtectedModePaging = 0x8005_0033; // PE MP ET NE WP AM PG
    public const ulong Cr4Pae = 0x20;
    public const ulong EferLongMode = 0x500; // LME | LMA

    private const ulong Present = 1, Writable = 2, LargePage = 0x80;

    /// <summary>
    /// Writes a PML4, one PDPT and four page directories mapping the first 4 GiB 1:1 with 2 MiB
    /// pages (the Linux 64-bit boot protocol wants the kernel, zero page and command line mapped).
    /// Uses 6 pages from <paramref name="pml4Address"/>. Returns the CR3 value.
    /// </summary>
    public static ulong WriteIdentityMap4GiB(IGuestMemory memory, ulong pml4Address)
    {
        ulong pdpt = pml4Address + 0x1000, firstPd = pml4Address + 0x2000;
        memory.Clear(pml4Address, 6 * 0x1000);
        memory.WriteUInt64(pml4Address, pdpt | Present | Writable);
        for (ulong gib = 0; gib < 4; gib++)
        {
            ulong pd = firstPd + gib * 0x1000;
            memory.WriteUInt64(pdpt + gib * 8, pd | Present | Writable);
            for (ulong entry = 0; entry < 512; entry++)
            {
                ulong address = (gib << 30) | (entry << 21);
                memory.WriteUInt64(pd + entry * 8, address | Present | Writable | LargePage);
            }
        }
        return pml4Address;
    }

    public const ushort BootCodeSelector = 0x10, BootDataSelector = 0x18;

    /// <summary>The GDT the Linux boot protocol expects: null, null, __BOOT_CS (0x10, 64-bit code), __BOOT_DS (0x18).</summary>
    public static ushort WriteBootGdt(IGuestMemory memory, ulong address)
    {
        ulong[] descriptors = [0, 0, 0x00AF_9B00_0000_FFFF, 0x00CF_9300_0000_FFFF];
        for (int i = 0; i < descriptors.Length; i++)
        {
            memory.WriteUInt64(address + (ulong)i * 8, descriptors[i]);
        }
        return (ushort)(descriptors.Length * 8 - 1);
    }
}
