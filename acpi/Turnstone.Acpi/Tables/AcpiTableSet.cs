using Turnstone.Acpi.Description;
using RootPointer = Turnstone.Acpi.Tables.Rsdp;

namespace Turnstone.Acpi.Tables;

/// <summary>
/// Every table for one machine, laid out for addresses the machine chose: the 36-byte RSDP to be
/// copied to <see cref="RsdpAddress"/> (for a BIOS-style search, 16-byte aligned in
/// 0xE0000-0xFFFFF) and one contiguous blob of the other tables to be copied to
/// <see cref="TablesAddress"/>, whose internal pointers are already absolute. The machine must
/// keep both out of the guest's usable RAM in the E820 map (ACPI reclaimable, or ACPI NVS for the
/// FACS, which comes first in the blob and is 64 bytes long).
/// </summary>
public sealed class AcpiTableSet
{
    /// <summary>Table starts are 8-byte aligned so every table's 64-bit fields are naturally aligned.</summary>
    public const int TableAlignment = 8;

    private AcpiTableSet(ulong rsdpAddress, byte[] rsdp, ulong tablesAddress, byte[] tables, IReadOnlyList<PlacedTable> placements)
    {
        RsdpAddress = rsdpAddress;
        Rsdp = rsdp;
        TablesAddress = tablesAddress;
        Tables = tables;
        Placements = placements;
    }

    public ulong RsdpAddress { get; }

    public ReadOnlyMemory<byte> Rsdp { get; }

    public ulong TablesAddress { get; }

    public ReadOnlyMemory<byte> Tables { get; }

    /// <summary>The tables in blob order: FACS, DSDT, SSDT, FACP, APIC, MCFG, XSDT.</summary>
    public IReadOnlyList<PlacedTable> Placements { get; }

    /// <summary>The bytes of the table with <paramref name="signature"/> (a slice of <see cref="Tables"/>).</summary>
    public ReadOnlyMemory<byte> Table(string signature)
    {
        foreach (var placed in Placements)
        {
            if (placed.Signature == signature)
            {
                return Tables.Slice((int)(placed.Address - TablesAddress), placed.Length);
            }
        }
        throw new KeyNotFoundException($"no {signature} table in this set");
    }

    public static AcpiTableSet Build(MachineDescription machine, ulong tablesAddress, ulong rsdpAddress)
    {
        ArgumentNullException.ThrowIfNull(machine);
        machine.Validate();
        if (tablesAddress % Facs.Alignment != 0)
        {
            throw new ArgumentException($"tables address 0x{tablesAddress:X} must be {Facs.Alignment}-byte aligned for the FACS", nameof(tablesAddress));
        }
        if (rsdpAddress % 16 != 0)
        {
            throw new ArgumentException($"RSDP address 0x{rsdpAddress:X} must be 16-byte aligned", nameof(rsdpAddress));
        }

        var blob = new List<byte>();
        var placements = new List<PlacedTable>();
        ulong Place(string signature, byte[] table)
        {
            while (blob.Count % TableAlignment != 0)
            {
                blob.Add(0);
            }
            ulong address = checked(tablesAddress + (ulong)blob.Count);
            placements.Add(new PlacedTable(signature, address, table.Length));
            blob.AddRange(table);
            return address;
        }

        ulong facs = Place("FACS", Facs.Build());
        ulong dsdt = Place("DSDT", Dsdt.Build(machine));
        ulong ssdt = Place("SSDT", ProcessorSsdt.Build(machine));
        ulong fadt = Place("FACP", Fadt.Build(machine, dsdt, facs));
        ulong madt = Place("APIC", Madt.Build(machine));
        ulong mcfg = Place("MCFG", Mcfg.Build(machine.Pci));
        ulong xsdt = Place("XSDT", Xsdt.Build([fadt, madt, mcfg, ssdt]));

        ulong tablesEnd = checked(tablesAddress + (ulong)blob.Count);
        if (rsdpAddress + RootPointer.Length > tablesAddress && rsdpAddress < tablesEnd)
        {
            throw new ArgumentException($"RSDP at 0x{rsdpAddress:X} overlaps the tables at 0x{tablesAddress:X}-0x{tablesEnd - 1:X}", nameof(rsdpAddress));
        }
        return new AcpiTableSet(rsdpAddress, RootPointer.Build(xsdt), tablesAddress, [.. blob], placements);
    }
}
