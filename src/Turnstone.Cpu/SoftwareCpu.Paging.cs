using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// The 4-level page walk (4 KiB, 2 MiB and 1 GiB pages) with the U/S, R/W (CR0.WP) and NX checks,
// accessed and dirty bits, and #PF error codes as the SDM defines them.
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>The physical-address width CPUID reports (leaf 0x80000008).</summary>
    internal const int PhysicalAddressBits = 40;
    private const ulong FrameMask = ((1UL << PhysicalAddressBits) - 1) & ~0xFFFUL;
    /// <summary>Bits 51:MAXPHYADDR of a paging entry must be zero.</summary>
    private const ulong HighReservedBits = ((1UL << 52) - 1) & ~((1UL << PhysicalAddressBits) - 1);

    private const uint PageFaultPresent = 1;
    private const uint PageFaultWrite = 2;
    private const uint PageFaultUser = 4;
    private const uint PageFaultReserved = 8;
    private const uint PageFaultFetch = 16;

    private bool _longModeActive;
    /// <summary>Long mode with a 64-bit CS: the only mode the engine runs code in so far.</summary>
    private bool _executing64BitCode;

    /// <summary>
    /// <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> when long mode first became active, or 0
    /// while it never has. After a legacy BIOS this is when the kernel took over: GRUB and SYSLINUX
    /// stay in 16/32-bit code, and Linux's startup_32 enables long mode within its first thousand
    /// instructions. Written only on mode changes, never per instruction.
    /// </summary>
    public long FirstLongModeEntryTimestamp { get; private set; }

    private void UpdateLongModeActive()
    {
        bool active = (_efer & EferBits.LongModeEnable) != 0 && (_cr0 & Cr0Bits.Paging) != 0 && (_cr4 & Cr4Bits.PhysicalAddressExtension) != 0;
        if (active && FirstLongModeEntryTimestamp == 0)
        {
            FirstLongModeEntryTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
        }
        _efer = active ? _efer | EferBits.LongModeActive : _efer & ~EferBits.LongModeActive;
        _longModeActive = active;
        _executing64BitCode = active && _segments[(int)SegmentName.Cs].Long;
    }

    /// <summary>Linear to physical for one access; false with #PF (and CR2) raised, or a
    /// not-implemented exit for paging modes other than 4-level.</summary>
    private bool TryWalk(ulong linear, int kind, bool user, out ulong physical)
    {
        if (!_longModeActive)
        {
            // Linear addresses are 32 bits outside long mode (segment base + offset wraps).
            linear = (uint)linear;
        }
        physical = linear;
        _walkPageShift = 12;
        _walkGlobal = false;
        if ((_cr0 & Cr0Bits.Paging) == 0)
        {
            return true;
        }
        if (!_longModeActive)
        {
            _walkPageShift = UnknownPageShift; // INVLPG flushes everything under legacy paging
            return TryWalkLegacy(linear, kind, user, out physical);
        }
        bool noExecuteEnabled = (_efer & EferBits.NoExecuteEnable) != 0;
        ulong reserved = HighReservedBits | (noExecuteEnabled ? 0 : 1UL << 63);
        ulong* entries = stackalloc ulong[4];
        ulong* entryAddresses = stackalloc ulong[4];
        ulong table = _cr3 & FrameMask;
        bool writable = true, userAllowed = true, noExecute = false;
        int used = 0;
        ulong frame = 0;
        for (int level = 4; level >= 1; level--)
        {
            int shift = 12 + 9 * (level - 1);
            ulong entryAddress = table + ((linear >> shift) & 511) * 8;
            ulong* entryPointer = EntryPointer(entryAddress);
            ulong entry = entryPointer == null ? 0 : *entryPointer;
            if ((entry & 1) == 0)
            {
                return PageFault(linear, kind, user, 0);
            }
            bool large = (entry & 0x80) != 0;
            ulong levelReserved = reserved;
            if (level == 4 && large)
            {
                levelReserved |= 0x80;
            }
            else if (large && level == 3)
            {
                levelReserved |= 0x3FFF_E000;
            }
            else if (large && level == 2)
            {
                levelReserved |= 0x1F_E000;
            }
            if ((entry & levelReserved) != 0)
            {
                return PageFault(linear, kind, user, PageFaultPresent | PageFaultReserved);
            }
            writable &= (entry & 2) != 0;
            userAllowed &= (entry & 4) != 0;
            noExecute |= noExecuteEnabled && (long)entry < 0;
            entryAddresses[used] = entryAddress;
            entries[used++] = (ulong)entryPointer;
            if (level == 1 || (large && level <= 3))
            {
                _walkPageShift = shift;
                _walkGlobal = (_cr4 & Cr4Bits.PageGlobalEnable) != 0 && (entry & 0x100) != 0;
                ulong pageMask = (1UL << shift) - 1;
                frame = (entry & FrameMask & ~pageMask) | (linear & pageMask);
                break;
            }
            table = entry & FrameMask;
        }
        if (!CompleteWalk(linear, kind, user, writable, userAllowed, noExecute, entries, entryAddresses, used))
        {
            return false;
        }
        physical = frame;
        return true;
    }

    /// <summary>
    /// What ends every page walk, in every paging mode: the U/S, R/W (with CR0.WP) and NX checks,
    /// then the accessed bit of each entry walked and the dirty bit of the last on a write. Bits 5
    /// and 6 sit in the low dword of 4- and 8-byte entries alike; setting them is a write to the
    /// table, logged as one.
    /// </summary>
    private bool CompleteWalk(ulong linear, int kind, bool user, bool writable, bool userAllowed, bool noExecute,
        ulong* entryPointers, ulong* entryAddresses, int used)
    {
        if ((user && !userAllowed) || (kind == WriteKind && !writable && (user || (_cr0 & Cr0Bits.WriteProtect) != 0)) ||
            (kind == FetchKind && noExecute))
        {
            return PageFault(linear, kind, user, PageFaultPresent);
        }
        for (int i = 0; i < used; i++)
        {
            uint* entryPointer = (uint*)entryPointers[i];
            uint set = i == used - 1 && kind == WriteKind ? 0x60U : 0x20U;
            if ((*entryPointer & set) != set)
            {
                *entryPointer |= set;
                _memory.MarkDirty(entryAddresses[i]);
            }
        }
        return true;
    }

    private ulong* EntryPointer(ulong physical)
    {
        byte* page = _memory.HostPage(physical & ~0xFFFUL);
        return page == null ? null : (ulong*)(page + (physical & 0xFFF));
    }

    private bool PageFault(ulong linear, int kind, bool user, uint errorCode)
    {
        errorCode |= kind == WriteKind ? PageFaultWrite : 0;
        errorCode |= user ? PageFaultUser : 0;
        errorCode |= kind == FetchKind && (_efer & EferBits.NoExecuteEnable) != 0 ? PageFaultFetch : 0;
        _cr2 = linear;
        return RaiseFault(ExceptionVector.PageFault, errorCode);
    }
}
