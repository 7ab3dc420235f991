namespace Turnstone.Cpu.Internal;

/// <summary>
/// A software TLB entry: a linear page that translated, for one access kind at one privilege, to
/// guest RAM at <see cref="Host"/>. <see cref="Page"/> is <see cref="Invalid"/> when empty (never
/// page-aligned, so no address matches it).
/// </summary>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
internal struct TlbEntry
{
    public const ulong Invalid = 1;

    public ulong Page;
    public nint Host;
    public ulong PhysicalPage;
    /// <summary>From a global page (G set in the leaf entry with CR4.PGE): kept when CR3 is written.</summary>
    public bool Global;
}
