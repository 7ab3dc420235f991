using Turnstone.GuestMemory;

namespace Turnstone.Firmware.X86;

/// <summary>The flat 32-bit protected mode, paging off, that the PVH boot protocol enters a kernel in.</summary>
public static class FlatProtectedMode
{
    public const ulong Cr0ProtectedMode = 0x11; // PE ET
    public const ushort CodeSelector = 0x10, DataSelector = 0x18, TaskSelector = 0x20;
    public const uint TaskStateLimit = 0x67;
    public const int GdtSize = 5 * 8;

    /// <summary>
    /// Writes a GDT matching the segment registers the vCPU is given: null, null, 32-bit code
    /// (0x10), data (0x18), busy 32-bit TSS at base 0 (0x20). The guest is expected to load its
    /// own, but until then a reload of a selector must find the same flat descriptor. Returns the limit.
    /// </summary>
    public static ushort WriteGdt(IGuestMemory memory, ulong address)
    {
        ulong[] descriptors = [0, 0, 0x00CF_9B00_0000_FFFF, 0x00CF_9300_0000_FFFF, 0x0000_8B00_0000_0000 | TaskStateLimit];
        for (int i = 0; i < descriptors.Length; i++)
        {
            memory.WriteUInt64(address + (ulong)i * 8, descriptors[i]);
        }
        return (ushort)(descriptors.Length * 8 - 1);
    }
}
