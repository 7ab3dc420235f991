namespace Turnstone.Components;

/// <summary>What a range of the component's address space holds.</summary>
public enum UserRangeKind
{
    Text,
    ReadOnlyData,
    Data,
    Stack,
    CallBlock,
    InputArea,
    OutputArea,
}

/// <summary>A page-aligned range of pages the component may touch at CPL 3, and how.</summary>
public readonly record struct UserRange(ulong Start, ulong End, bool Writable, bool Executable, UserRangeKind Kind)
{
    public ulong Size => End - Start;

    public bool Contains(ulong address, ulong length) => address >= Start && address <= End && length <= End - address;
}
