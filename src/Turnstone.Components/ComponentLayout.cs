namespace Turnstone.Components;

/// <summary>
/// The fixed addresses of a component's address space (images/components/ABI.md, "Address space").
/// Guest-virtual equals guest-physical; the monitor area below 1 MiB is supervisor-only.
/// </summary>
public static class ComponentLayout
{
    public const ulong PageSize = 0x1000;

    // Monitor area (CPL 0 only).
    internal const ulong Pml4 = 0x1000, Pdpt = 0x2000, PageDirectory = 0x3000;
    internal const ulong Gdt = 0x4000, Tss = 0x5000, Idt = 0x8000, ShimCode = 0x9000;
    internal const ulong ShimStackBottom = 0xA000, ShimStackTop = 0xC000;
    /// <summary>Page tables, one per 2 MiB of guest memory that holds a mapped page.</summary>
    internal const ulong PageTables = 0x10000;
    internal const ulong MonitorAreaEnd = 0x100000;

    // Shared with the host, read-write and never executable.
    public const ulong CallBlock = 0x100000;
    public const ulong InputArea = 0x101000;
    public const ulong OutputArea = 0x201000;
    public const int MaxAreaSize = 0x100000;

    /// <summary>The lowest address a PT_LOAD segment may use.</summary>
    public const ulong ImageBase = 0x400000;

    /// <summary>Guest memory is at most this large: the page directory maps 1 GiB and the page
    /// tables for it must fit in the monitor area.</summary>
    public const ulong MaxMemorySize = 256ul << 20;

    public const ushort HypercallPort = 0xE8;
    /// <summary>The fault shim reports vector v with an <c>out</c> to port FaultPortBase + v.</summary>
    internal const ushort FaultPortBase = 0xC0;
    internal const int ExceptionVectors = 32;
}
