using Turnstone.GuestMemory;

namespace Turnstone.Hypervisor.Emulation;

/// <summary>The paging state a translation needs, taken from the vCPU's control registers.</summary>
public readonly record struct PagingMode(ulong Cr0, ulong Cr3, ulong Cr4, ulong Efer)
{
    public bool PagingEnabled => (Cr0 & (1ul << 31)) != 0;
    public bool LongMode => (Efer & (1ul << 10)) != 0; // EFER.LMA
    public bool FiveLevel => (Cr4 & (1ul << 12)) != 0;
}

/// <summary>
/// Walks a guest's 4- or 5-level page tables by hand. KVM_TRANSLATE is not enough on nested hosts
/// (it fails on user addresses there), and the emulator must know the same answer the MMU would give.
/// Page-table entries are guest data: each is read through the bounds-checked memory, and a table
/// outside RAM is a failed translation, never a host access.
/// </summary>
public static class GuestPageWalker
{
    private const ulong Present = 1, Writable = 2, User = 4, LargePage = 0x80;
    private const ulong AddressMask = 0x000F_FFFF_FFFF_F000;

    /// <summary>Translates <paramref name="linear"/>; false when it is not mapped (or a table is not RAM).</summary>
    public static bool TryTranslate(IGuestMemory memory, PagingMode mode, ulong linear, out ulong physical) =>
        TryTranslate(memory, mode, linear, out physical, out _);

    /// <summary>Translates and reports the effective user/writable permissions of the mapping.</summary>
    public static bool TryTranslate(IGuestMemory memory, PagingMode mode, ulong linear, out ulong physical, out (bool User, bool Writable) access)
    {
        access = (true, true);
        if (!mode.PagingEnabled)
        {
            physical = linear & 0xFFFF_FFFF;
            return true;
        }
        if (!mode.LongMode)
        {
            // Only long-mode paging is walked: the monitor enters guests in 64-bit mode and emulates
            // nothing before that.
            physical = 0;
            return false;
        }
        int levels = mode.FiveLevel ? 5 : 4;
        ulong table = mode.Cr3 & AddressMask;
        for (int level = levels - 1; level >= 0; level--)
        {
            int shift = 12 + 9 * level;
            ulong entryAddress = table + ((linear >> shift) & 511) * 8;
            if (!memory.TryGetSpan(entryAddress, 8, out var entryBytes))
            {
                physical = 0;
                return false;
            }
            ulong entry = BitConverter.ToUInt64(entryBytes);
            if ((entry & Present) == 0)
            {
                physical = 0;
                return false;
            }
            access = (access.User && (entry & User) != 0, access.Writable && (entry & Writable) != 0);
            bool large = level is 1 or 2 && (entry & LargePage) != 0;
            if (large || level == 0)
            {
                ulong pageSize = 1ul << shift;
                physical = (entry & AddressMask & ~(pageSize - 1)) | (linear & (pageSize - 1));
                return true;
            }
            table = entry & AddressMask;
        }
        physical = 0;
        return false;
    }
}
