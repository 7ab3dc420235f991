namespace Turnstone.Firmware.LinuxBoot;

/// <summary>Where the Linux boot path puts its structures in low guest memory.</summary>
public static class BootLayout
{
    public const ulong Gdt = 0x500;
    public const ulong ZeroPage = 0x7000;
    public const ulong StackTop = 0x8FF0;
    /// <summary>PML4, PDPT and four page directories: 0x9000-0xEFFF.</summary>
    public const ulong PageTables = 0x9000;
    public const ulong CommandLine = 0x20000;
    public const ulong CommandLineMax = 0x10000;
    /// <summary>Where a bzImage's protected-mode kernel is loaded (the protocol's traditional 1 MiB).</summary>
    public const ulong ProtectedModeKernel = 0x100000;
    /// <summary>The lowest address a kernel segment may use: everything below belongs to the boot structures.</summary>
    public const ulong LowestKernelAddress = 0x100000;
}
