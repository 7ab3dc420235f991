using Turnstone.GuestMemory;
using Turnstone.Engine;

namespace Turnstone.Components;

/// <summary>
/// A component's state right after initialisation: its writable pages, the general registers and
/// the extended (SSE) state. Restoring copies back only the pages written since (the engine's dirty log,
/// plus the input pages the host wrote), so a call that touches a few pages restores in
/// microseconds however large the component's memory is.
/// </summary>
internal sealed class ComponentSnapshot
{
    private readonly byte[] _pages; // the machine's snapshot buffer: the first _capturedPages pages are this snapshot's
    private readonly int _capturedPages;
    private readonly int[] _pageSlot; // guest page number -> index into _pages, or -1 when not captured
    private readonly ulong[] _dirtyBitmap;
    private readonly GeneralRegisters _registers;
    private readonly SavedExtendedState _extendedState;

    private ComponentSnapshot(byte[] pages, int capturedPages, int[] pageSlot, ulong[] dirtyBitmap, in GeneralRegisters registers, SavedExtendedState extendedState)
    {
        _pages = pages;
        _capturedPages = capturedPages;
        _pageSlot = pageSlot;
        _dirtyBitmap = dirtyBitmap;
        _registers = registers;
        _extendedState = extendedState;
    }

    public int CapturedPages => _capturedPages;

    /// <summary>Pages copied back by the last restore.</summary>
    public int LastRestoredPages { get; private set; }

    private const int NotMapped = -1, ZeroPage = -2;

    /// <summary>
    /// Captures the state and resets the dirty log, so the next restore sees only later writes.
    /// Only pages that can change and are not zero are copied: those the guest wrote during
    /// initialisation (the log says which) and the writable ones the host filled (data segments,
    /// page tables, whose accessed/dirty bits the CPU sets). Other writable pages are zero here, so
    /// restoring them is a clear; read-only pages never change.
    /// </summary>
    public static ComponentSnapshot Take(ComponentMachine machine, ComponentAddressSpace space, in GeneralRegisters registers)
    {
        ulong pageCount = machine.PageCount;
        var bitmap = new ulong[(pageCount + 63) / 64];
        machine.TakeDirtyPages(bitmap);
        var pageSlot = machine.SnapshotPageSlots();
        Array.Fill(pageSlot, NotMapped);
        var captured = new List<ulong>();
        foreach (var range in space.Ranges.Where(r => r.Writable))
        {
            for (ulong page = range.Start; page < range.End; page += ComponentLayout.PageSize)
            {
                pageSlot[page / ComponentLayout.PageSize] = ZeroPage;
            }
        }
        void Capture(ulong page)
        {
            if (pageSlot[page / ComponentLayout.PageSize] < 0)
            {
                pageSlot[page / ComponentLayout.PageSize] = captured.Count;
                captured.Add(page);
            }
        }
        foreach (var range in space.Ranges.Where(r => r.Kind == UserRangeKind.Data))
        {
            for (ulong page = range.Start; page < range.End; page += ComponentLayout.PageSize)
            {
                Capture(page);
            }
        }
        var (tablesStart, tablesEnd, _) = ComponentPageTables.MonitorPages(space.MemorySize).Last();
        for (ulong page = tablesStart; page < tablesEnd; page += ComponentLayout.PageSize)
        {
            Capture(page);
        }
        for (ulong page = ComponentLayout.Pml4; page <= ComponentLayout.PageDirectory; page += ComponentLayout.PageSize)
        {
            Capture(page);
        }
        for (int word = 0; word < bitmap.Length; word++)
        {
            for (ulong bits = bitmap[word]; bits != 0; bits &= bits - 1)
            {
                ulong page = (ulong)(word * 64 + System.Numerics.BitOperations.TrailingZeroCount(bits)) * ComponentLayout.PageSize;
                if (page < space.MemorySize)
                {
                    Capture(page);
                }
            }
        }
        var pages = machine.SnapshotBuffer(captured.Count * (int)ComponentLayout.PageSize);
        for (int i = 0; i < captured.Count; i++)
        {
            machine.Memory.Read(captured[i], pages.AsSpan(i * (int)ComponentLayout.PageSize, (int)ComponentLayout.PageSize));
        }
        machine.ForgetDirtyPages(bitmap);
        var extended = machine.Vcpu.CreateExtendedState();
        machine.Vcpu.SaveExtendedState(extended);
        return new ComponentSnapshot(pages, captured.Count, pageSlot, bitmap, registers, extended);
    }

    /// <summary>
    /// Puts memory and registers back as they were at <see cref="Take"/>. <paramref name="hostWritten"/>
    /// is the range the host itself wrote since (KVM logs only the guest's writes).
    /// </summary>
    public void Restore(ComponentMachine machine, ref GeneralRegisters registers, (ulong Start, ulong Length) hostWritten)
    {
        machine.TakeDirtyPages(_dirtyBitmap);
        int restored = 0;
        for (int word = 0; word < _dirtyBitmap.Length; word++)
        {
            for (ulong bits = _dirtyBitmap[word]; bits != 0; bits &= bits - 1)
            {
                restored += RestorePage(machine.Memory, (ulong)(word * 64 + System.Numerics.BitOperations.TrailingZeroCount(bits)));
            }
        }
        ulong firstHostPage = hostWritten.Start / ComponentLayout.PageSize;
        ulong endHostPage = (hostWritten.Start + hostWritten.Length + ComponentLayout.PageSize - 1) / ComponentLayout.PageSize;
        for (ulong page = firstHostPage; page < endHostPage; page++)
        {
            restored += RestorePage(machine.Memory, page);
        }
        LastRestoredPages = restored;
        KeepHotPagesWritable();
        machine.ForgetDirtyPages(_dirtyBitmap);
        registers = _registers;
        machine.Vcpu.RestoreExtendedState(_extendedState);
    }

    /// <summary>
    /// With manual dirty-log protection, the first <see cref="HotPageLimit"/> dirty pages are left
    /// out of the pages forgotten: they stay writable and logged, so they are restored before every
    /// call (a 4 KiB copy) instead of faulting on every call's first write (an exit on nested hosts).
    /// Every <see cref="HotPageRelearnInterval"/> restores all are forgotten, so a page written only
    /// once does not stay hot for good.
    /// </summary>
    private void KeepHotPagesWritable()
    {
        if (++_restores % HotPageRelearnInterval == 0)
        {
            return;
        }
        int kept = 0;
        for (int word = 0; word < _dirtyBitmap.Length && kept < HotPageLimit; word++)
        {
            while (_dirtyBitmap[word] != 0 && kept < HotPageLimit)
            {
                _dirtyBitmap[word] &= _dirtyBitmap[word] - 1; // drop the lowest set bit: keep that page hot
                kept++;
            }
        }
    }

    private const int HotPageLimit = 32, HotPageRelearnInterval = 256;
    private long _restores;

    private int RestorePage(IGuestMemory memory, ulong pageNumber)
    {
        int slot = pageNumber < (ulong)_pageSlot.Length ? _pageSlot[pageNumber] : NotMapped;
        var page = slot == NotMapped ? default : memory.GetSpan(pageNumber * ComponentLayout.PageSize, (int)ComponentLayout.PageSize);
        switch (slot)
        {
            case NotMapped:
                return 0; // the guest cannot have written it (the shim stack, written only by a fault that ends the VM)
            case ZeroPage:
                page.Clear();
                return 1;
            default:
                _pages.AsSpan(slot * (int)ComponentLayout.PageSize, (int)ComponentLayout.PageSize).CopyTo(page);
                return 1;
        }
    }
}
