using System.Buffers.Binary;
using Turnstone.Firmware.LinuxBoot;

namespace Turnstone.Firmware.Pvh;

/// <summary>
/// struct hvm_start_info (version 1, with the memory map fields) and the tables it points to, laid
/// out as Xen's public/arch-x86/hvm/start_info.h defines them. All addresses are guest-physical.
/// </summary>
public static class HvmStartInfo
{
    public const uint Magic = 0x336E_C578; // "xEn3" with the 0x80 bit of the "E" set
    public const uint Version = 1;
    public const int Size = 56, ModuleEntrySize = 32, MemoryMapEntrySize = 24;

    public const int MagicOffset = 0, VersionOffset = 4, FlagsOffset = 8, ModuleCountOffset = 12, ModuleListOffset = 16,
        CommandLineOffset = 24, RsdpOffset = 32, MemoryMapOffset = 40, MemoryMapEntriesOffset = 48;

    /// <summary>Fills <paramref name="info"/> (<see cref="Size"/> bytes); flags and the reserved word are zero.</summary>
    public static void Write(Span<byte> info, uint moduleCount, ulong moduleList, ulong commandLine, ulong rsdp, ulong memoryMap, uint memoryMapEntries)
    {
        info[..Size].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(info[MagicOffset..], Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(info[VersionOffset..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(info[ModuleCountOffset..], moduleCount);
        BinaryPrimitives.WriteUInt64LittleEndian(info[ModuleListOffset..], moduleList);
        BinaryPrimitives.WriteUInt64LittleEndian(info[CommandLineOffset..], commandLine);
        BinaryPrimitives.WriteUInt64LittleEndian(info[RsdpOffset..], rsdp);
        BinaryPrimitives.WriteUInt64LittleEndian(info[MemoryMapOffset..], memoryMap);
        BinaryPrimitives.WriteUInt32LittleEndian(info[MemoryMapEntriesOffset..], memoryMapEntries);
    }

    /// <summary>One hvm_modlist_entry: paddr, size, cmdline_paddr (0: none), reserved.</summary>
    public static void WriteModule(Span<byte> entry, ulong address, ulong size, ulong commandLine = 0)
    {
        entry[..ModuleEntrySize].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(entry, address);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[8..], size);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[16..], commandLine);
    }

    /// <summary>hvm_memmap_table_entry records (addr, size, E820 type, reserved), one per E820 entry.</summary>
    public static void WriteMemoryMap(Span<byte> table, IReadOnlyList<E820Entry> entries)
    {
        for (int i = 0; i < entries.Count; i++)
        {
            var slot = table.Slice(i * MemoryMapEntrySize, MemoryMapEntrySize);
            BinaryPrimitives.WriteUInt64LittleEndian(slot, entries[i].Address);
            BinaryPrimitives.WriteUInt64LittleEndian(slot[8..], entries[i].Size);
            BinaryPrimitives.WriteUInt32LittleEndian(slot[16..], (uint)entries[i].Type);
            BinaryPrimitives.WriteUInt32LittleEndian(slot[20..], 0);
        }
    }
}
