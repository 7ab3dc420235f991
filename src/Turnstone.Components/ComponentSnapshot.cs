using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Interop;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Components;

/// <summary>
/// A component's state right after initialisation: every mapped page, the general registers and
/// the extended (SSE) state. Restoring copies back only the pages written since (KVM's dirty log,
/// plus the input pages the host wrote), so a call that touches a few pages restores in
/// microseconds however large the component's memory is.
/// </summary>
internal sealed class ComponentSnapshot
{
    private readonly byte[] _pages;
    private readonly int[] _pageSlot; // guest page number -> index into _pages, or -1 when not captured
    private readonly ulong[] _dirtyBitmap;
    private readonly KvmRegs _registers;
    private readonly KvmXsave _extendedState;

    private ComponentSnapshot(byte[] pages, int[] pageSlot, ulong[] dirtyBitmap, in KvmRegs registers, in KvmXsave extendedState)
    {
        _pages = pages;
        _pageSlot = pageSlot;
        _dirtyBitmap = dirtyBitmap;
        _registers = registers;
        _extendedState = extendedState;
    }

    public int CapturedPages => _pages.Length / (int)ComponentLayout.PageSize;

    /// <summary>Pages copied back by the last restore.</summary>
    public int LastRestoredPages { get; private set; }

    /// <summary>Captures the state and resets the dirty log, so the next restore sees only later writes.</summary>
    public static ComponentSnapshot Take(VirtualMachine vm, uint slot, Vcpu vcpu, ComponentAddressSpace space, in KvmRegs registers)
    {
        ulong pageCount = space.MemorySize / ComponentLayout.PageSize;
        var pageSlot = new int[pageCount];
        Array.Fill(pageSlot, -1);
        var captured = new List<ulong>();
        foreach (var (start, end, _) in ComponentPageTables.MonitorPages(space.MemorySize))
        {
            AddPages(captured, start, end);
        }
        foreach (var range in space.Ranges)
        {
            AddPages(captured, range.Start, range.End);
        }
        var pages = new byte[captured.Count * (int)ComponentLayout.PageSize];
        for (int i = 0; i < captured.Count; i++)
        {
            pageSlot[captured[i] / ComponentLayout.PageSize] = i;
            vm.Memory.Read(captured[i], pages.AsSpan(i * (int)ComponentLayout.PageSize, (int)ComponentLayout.PageSize));
        }
        var bitmap = new ulong[(pageCount + 63) / 64];
        vm.TakeDirtyPages(slot, bitmap);
        vcpu.GetXsave(out var extended);
        return new ComponentSnapshot(pages, pageSlot, bitmap, registers, extended);
    }

    private static void AddPages(List<ulong> pages, ulong start, ulong end)
    {
        for (ulong page = start; page < end; page += ComponentLayout.PageSize)
        {
            pages.Add(page);
        }
    }

    /// <summary>
    /// Puts memory and registers back as they were at <see cref="Take"/>. <paramref name="hostWritten"/>
    /// is the range the host itself wrote since (KVM logs only the guest's writes).
    /// </summary>
    public void Restore(VirtualMachine vm, uint slot, Vcpu vcpu, ref KvmRegs registers, (ulong Start, ulong Length) hostWritten)
    {
        vm.TakeDirtyPages(slot, _dirtyBitmap);
        int restored = 0;
        for (int word = 0; word < _dirtyBitmap.Length; word++)
        {
            for (ulong bits = _dirtyBitmap[word]; bits != 0; bits &= bits - 1)
            {
                restored += RestorePage(vm.Memory, (ulong)(word * 64 + System.Numerics.BitOperations.TrailingZeroCount(bits)));
            }
        }
        ulong firstHostPage = hostWritten.Start / ComponentLayout.PageSize;
        ulong endHostPage = (hostWritten.Start + hostWritten.Length + ComponentLayout.PageSize - 1) / ComponentLayout.PageSize;
        for (ulong page = firstHostPage; page < endHostPage; page++)
        {
            restored += RestorePage(vm.Memory, page);
        }
        LastRestoredPages = restored;
        registers = _registers;
        vcpu.SetXsave(_extendedState);
    }

    private int RestorePage(IGuestMemory memory, ulong pageNumber)
    {
        if (pageNumber >= (ulong)_pageSlot.Length || _pageSlot[pageNumber] < 0)
        {
            return 0; // not mapped: the guest cannot have written it
        }
        memory.Write(pageNumber * ComponentLayout.PageSize, _pages.AsSpan(_pageSlot[pageNumber] * (int)ComponentLayout.PageSize, (int)ComponentLayout.PageSize));
        return 1;
    }
}
