using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// Paging in protected mode without long mode: 32-bit paging (4-byte entries, 4 KiB pages and,
// with CR4.PSE, 4 MiB pages with PSE-36 high bits) and PAE paging (a 4-entry PDPT, 2 MiB and
// 4 KiB pages, NX). The PDPTEs are read at each walk rather than latched when CR3 is loaded.
public sealed unsafe partial class SoftwareCpu
{
    private bool TryWalkLegacy(ulong linear, int kind, bool user, out ulong physical)
    {
        physical = 0;
        bool pae = (_cr4 & Cr4Bits.PhysicalAddressExtension) != 0;
        bool noExecuteEnabled = pae && (_efer & EferBits.NoExecuteEnable) != 0;
        ulong* entryPointers = stackalloc ulong[3];
        ulong* entryAddresses = stackalloc ulong[3];
        int used = 0;
        bool writable = true, userAllowed = true, noExecute = false;
        ulong frame;
        if (pae)
        {
            ulong pdpteAddress = (_cr3 & 0xFFFF_FFE0UL) + ((linear >> 30) & 3) * 8;
            ulong* pdptePointer = EntryPointer(pdpteAddress);
            ulong pdpte = pdptePointer == null ? 0 : *pdptePointer;
            if ((pdpte & 1) == 0)
            {
                return PageFault(linear, kind, user, 0);
            }
            if ((pdpte & (HighReservedBits | 0x1E6 | (1UL << 63))) != 0)
            {
                return PageFault(linear, kind, user, PageFaultPresent | PageFaultReserved);
            }
            ulong reserved = HighReservedBits | (noExecuteEnabled ? 0 : 1UL << 63);
            ulong table = pdpte & FrameMask;
            frame = 0;
            for (int level = 2; level >= 1; level--)
            {
                int shift = 12 + 9 * (level - 1);
                ulong entryAddress = table + ((linear >> shift) & 511) * 8;
                ulong* entryPointer = EntryPointer(entryAddress);
                ulong entry = entryPointer == null ? 0 : *entryPointer;
                if ((entry & 1) == 0)
                {
                    return PageFault(linear, kind, user, 0);
                }
                bool large = level == 2 && (entry & 0x80) != 0;
                if ((entry & (reserved | (large ? 0x1F_E000UL : 0))) != 0)
                {
                    return PageFault(linear, kind, user, PageFaultPresent | PageFaultReserved);
                }
                writable &= (entry & 2) != 0;
                userAllowed &= (entry & 4) != 0;
                noExecute |= noExecuteEnabled && (long)entry < 0;
                entryAddresses[used] = entryAddress;
                entryPointers[used++] = (ulong)entryPointer;
                if (level == 1 || large)
                {
                    ulong pageMask = (1UL << shift) - 1;
                    frame = (entry & FrameMask & ~pageMask) | (linear & pageMask);
                    break;
                }
                table = entry & FrameMask;
            }
        }
        else
        {
            ulong pdeAddress = (_cr3 & 0xFFFF_F000UL) + ((linear >> 22) & 1023) * 4;
            uint* pdePointer = (uint*)EntryPointer(pdeAddress);
            uint pde = pdePointer == null ? 0 : *pdePointer;
            if ((pde & 1) == 0)
            {
                return PageFault(linear, kind, user, 0);
            }
            writable &= (pde & 2) != 0;
            userAllowed &= (pde & 4) != 0;
            entryAddresses[used] = pdeAddress;
            entryPointers[used++] = (ulong)pdePointer;
            if ((pde & 0x80) != 0 && (_cr4 & Cr4Bits.PageSizeExtensions) != 0)
            {
                if ((pde & (1U << 21)) != 0)
                {
                    return PageFault(linear, kind, user, PageFaultPresent | PageFaultReserved);
                }
                frame = (pde & 0xFFC0_0000UL) | ((ulong)((pde >> 13) & 0xFF) << 32) | (linear & 0x3F_FFFF);
            }
            else
            {
                ulong pteAddress = (pde & 0xFFFF_F000UL) + ((linear >> 12) & 1023) * 4;
                uint* ptePointer = (uint*)EntryPointer(pteAddress);
                uint pte = ptePointer == null ? 0 : *ptePointer;
                if ((pte & 1) == 0)
                {
                    return PageFault(linear, kind, user, 0);
                }
                writable &= (pte & 2) != 0;
                userAllowed &= (pte & 4) != 0;
                entryAddresses[used] = pteAddress;
                entryPointers[used++] = (ulong)ptePointer;
                frame = (pte & 0xFFFF_F000UL) | (linear & 0xFFF);
            }
        }
        if (!CompleteWalk(linear, kind, user, writable, userAllowed, noExecute, entryPointers, entryAddresses, used))
        {
            return false;
        }
        physical = frame;
        return true;
    }
}
