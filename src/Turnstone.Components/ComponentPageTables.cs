using Turnstone.GuestMemory;

namespace Turnstone.Components;

/// <summary>
/// 4-level identity page tables with 4 KiB pages: the monitor area supervisor-only (so CPL 3 can
/// neither read the tables nor run the shim), each user range with exactly its rights, and
/// nothing else present. NX is set on every page that is not text.
/// </summary>
public static class ComponentPageTables
{
    private const ulong Present = 1, Writable = 2, User = 4, NoExecute = 1ul << 63;
    private const ulong LargeRegion = 0x200000; // what one page table covers

    /// <summary>Supervisor pages of the monitor area: tables, GDT, TSS with its I/O bitmap, IDT, shim, shim stack.</summary>
    internal static IEnumerable<(ulong Start, ulong End, bool Executable)> MonitorPages(ulong memorySize)
    {
        yield return (ComponentLayout.Pml4, ComponentLayout.Idt + ComponentLayout.PageSize, false);
        yield return (ComponentLayout.ShimCode, ComponentLayout.ShimCode + ComponentLayout.PageSize, true);
        yield return (ComponentLayout.ShimStackBottom, ComponentLayout.ShimStackTop, false);
        yield return (ComponentLayout.PageTables, ComponentLayout.PageTables + PageTableCount(memorySize) * ComponentLayout.PageSize, false);
    }

    internal static ulong PageTableCount(ulong memorySize) => (memorySize + LargeRegion - 1) / LargeRegion;

    public static void Write(IGuestMemory memory, ComponentAddressSpace space)
    {
        memory.WriteUInt64(ComponentLayout.Pml4, ComponentLayout.Pdpt | Present | Writable | User);
        memory.WriteUInt64(ComponentLayout.Pdpt, ComponentLayout.PageDirectory | Present | Writable | User);
        foreach (var (start, end, executable) in MonitorPages(space.MemorySize))
        {
            Map(memory, start, end, Present | Writable | (executable ? 0 : NoExecute));
        }
        foreach (var range in space.Ranges)
        {
            Map(memory, range.Start, range.End, Present | User | (range.Writable ? Writable : 0) | (range.Executable ? 0 : NoExecute));
        }
    }

    private static void Map(IGuestMemory memory, ulong start, ulong end, ulong flags)
    {
        for (ulong page = start; page < end; page += ComponentLayout.PageSize)
        {
            ulong directoryIndex = page / LargeRegion;
            ulong table = ComponentLayout.PageTables + directoryIndex * ComponentLayout.PageSize;
            // Directory entries allow everything; the leaf entries decide.
            memory.WriteUInt64(ComponentLayout.PageDirectory + directoryIndex * 8, table | Present | Writable | User);
            memory.WriteUInt64(table + (page % LargeRegion) / ComponentLayout.PageSize * 8, page | flags);
        }
    }
}
