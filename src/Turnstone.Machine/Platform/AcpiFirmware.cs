using Turnstone.Acpi.Description;
using Turnstone.Acpi.Tables;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.GuestMemory;
using Turnstone.PciRoot;

namespace Turnstone.Machine.Platform;

/// <summary>
/// The ACPI part of the firmware: lays the tables for the machine's description (which
/// <see cref="PlatformBuilder.Describe"/> derives from the machine's layout) out at
/// <see cref="PlatformLayout"/>'s addresses, marks them in the E820 map, and copies them into
/// guest RAM once it exists.
/// </summary>
public static class AcpiFirmware
{
    /// <summary>
    /// Builds the tables for <paramref name="machine"/> and records them in <paramref name="e820"/>:
    /// the table pages become ACPI data, and the ECAM window is reserved (Linux ignores an MCFG
    /// whose window neither E820 nor a motherboard device reserves).
    /// </summary>
    public static AcpiTableSet Build(MachineDescription machine, E820Map e820)
    {
        var tables = AcpiTableSet.Build(machine, PlatformLayout.AcpiTablesAddress, PlatformLayout.RsdpAddress);
        ulong tablesEnd = tables.TablesAddress + (ulong)tables.Tables.Length;
        if (tablesEnd > PlatformLayout.AcpiTablesLimit)
        {
            throw new InvalidOperationException(
                $"ACPI tables of {tables.Tables.Length} bytes do not fit between 0x{PlatformLayout.AcpiTablesAddress:x} and 0x{PlatformLayout.AcpiTablesLimit:x}");
        }
        ulong pagesEnd = (tablesEnd + 0xFFF) & ~0xFFFul;
        e820.Reclassify(tables.TablesAddress, pagesEnd - tables.TablesAddress, E820Type.Acpi);
        var ecam = machine.Pci.EcamWindow;
        e820.Add(ecam.Base, ecam.Size, E820Type.Reserved);
        return tables;
    }

    public static void WriteTo(AcpiTableSet tables, IGuestMemory memory)
    {
        memory.Write(tables.RsdpAddress, tables.Rsdp.Span);
        memory.Write(tables.TablesAddress, tables.Tables.Span);
    }
}
