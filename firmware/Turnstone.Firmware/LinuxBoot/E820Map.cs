using Turnstone.GuestMemory;

namespace Turnstone.Firmware.LinuxBoot;

public enum E820Type : uint { Ram = 1, Reserved = 2, Acpi = 3, Nvs = 4, Unusable = 5 }

public readonly record struct E820Entry(ulong Address, ulong Size, E820Type Type)
{
    public ulong End => Address + Size;
}

/// <summary>
/// The BIOS memory map handed to the guest: RAM from the machine's regions with the legacy
/// PC holes carved out (the EBDA below 640 KiB and the VGA/BIOS area up to 1 MiB).
/// </summary>
public sealed class E820Map
{
    public const ulong ExtendedBiosDataArea = 0x9FC00;
    public const ulong HighMemoryStart = 0x100000;
    public const int MaxEntries = 128;

    private readonly List<E820Entry> _entries = [];

    public IReadOnlyList<E820Entry> Entries => _entries;

    public static E820Map FromRam(IReadOnlyList<GuestMemoryRegion> ram)
    {
        var map = new E820Map();
        foreach (var region in ram)
        {
            // Split around the legacy area: [0, EBDA) is RAM, [EBDA, 1 MiB) reserved, then RAM again.
            if (region.GuestAddress < HighMemoryStart)
            {
                if (region.GuestAddress < ExtendedBiosDataArea)
                {
                    map.Add(region.GuestAddress, Math.Min(region.End, ExtendedBiosDataArea) - region.GuestAddress, E820Type.Ram);
                }
                if (region.End > ExtendedBiosDataArea)
                {
                    ulong start = Math.Max(region.GuestAddress, ExtendedBiosDataArea);
                    map.Add(start, Math.Min(region.End, HighMemoryStart) - start, E820Type.Reserved);
                }
                if (region.End > HighMemoryStart)
                {
                    map.Add(HighMemoryStart, region.End - HighMemoryStart, E820Type.Ram);
                }
            }
            else
            {
                map.Add(region.GuestAddress, region.Size, E820Type.Ram);
            }
        }
        return map;
    }

    /// <summary>Adds an entry; entries must not overlap (the guest would have to guess which wins).</summary>
    public void Add(ulong address, ulong size, E820Type type)
    {
        if (size == 0)
        {
            return;
        }
        if (_entries.Any(e => address < e.End && e.Address < address + size))
        {
            throw new ArgumentException($"E820 entry 0x{address:x}+0x{size:x} overlaps an existing entry");
        }
        if (_entries.Count == MaxEntries)
        {
            throw new InvalidOperationException("E820 map is full");
        }
        _entries.Add(new E820Entry(address, size, type));
        _entries.Sort((a, b) => a.Address.CompareTo(b.Address));
    }

    /// <summary>
    /// Gives [address, address+size), which must lie inside one existing entry, a new type: the
    /// entry is split around it (ACPI tables inside the reserved legacy area, for instance).
    /// </summary>
    public void Reclassify(ulong address, ulong size, E820Type type)
    {
        ulong end = address + size;
        int index = _entries.FindIndex(e => address >= e.Address && end <= e.End && end > address);
        if (index < 0)
        {
            throw new ArgumentException($"E820 range 0x{address:x}+0x{size:x} is not inside a single existing entry");
        }
        var outer = _entries[index];
        if (_entries.Count + 2 > MaxEntries)
        {
            throw new InvalidOperationException("E820 map is full");
        }
        _entries.RemoveAt(index);
        Add(outer.Address, address - outer.Address, outer.Type);
        Add(address, size, type);
        Add(end, outer.End - end, outer.Type);
    }

    /// <summary>True when [address, address+size) is entirely inside one RAM entry.</summary>
    public bool IsUsableRam(ulong address, ulong size) =>
        _entries.Any(e => e.Type == E820Type.Ram && address >= e.Address && address + size <= e.End && address + size >= address);
}
