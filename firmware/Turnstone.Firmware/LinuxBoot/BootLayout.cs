namespace Turnstone.Firmware.LinuxBoot;

/// <summary>
/// Where the boot paths put their structures in low guest memory, below the EBDA (0x9FC00) and the
/// ACPI area (0xE0000). The Linux 64-bit path and the PVH path are exclusive; only PVH reserves its
/// block in the memory map, because a PVH guest may keep reading it after entry.
/// </summary>
public static class BootLayout
{
    public const ulong Gdt = 0x500;
    public const ulong ZeroPage = 0x7000;
    public const ulong StackTop = 0x8FF0;
    /// <summary>PML4, PDPT and four page directories: 0x9000-0xEFFF.</summary>
    public const ulong PageTables = 0x9000;
    public const ulong CommandLine = 0x20000;
    public const ulong CommandLineMax = 0x10000;

    /// <summary>PVH: one reserved block holding the GDT, hvm_start_info, the module list, the memory map and the command line.</summary>
    public const ulong PvhBlock = 0x5000;
    public const ulong PvhBlockSize = 0x2000;
    public const ulong PvhGdt = 0x5000;
    public const ulong PvhStartInfo = 0x5040;
    /// <summary>hvm_modlist_entry records (room for four; the initrd is the only module).</summary>
    public const ulong PvhModuleList = 0x5080;
    /// <summary>hvm_memmap_table_entry records, one per E820 entry (at most 128: 0x5100-0x5CFF).</summary>
    public const ulong PvhMemoryMap = 0x5100;
    public const ulong PvhCommandLine = 0x6000;
    public const ulong PvhCommandLineMax = 0x1000;

    /// <summary>Where a bzImage's protected-mode kernel is loaded (the protocol's traditional 1 MiB).</summary>
    public const ulong ProtectedModeKernel = 0x100000;
    /// <summary>The lowest address a kernel segment may use: everything below belongs to the boot structures.</summary>
    public const ulong LowestKernelAddress = 0x100000;
}
