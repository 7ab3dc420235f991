using Turnstone.Firmware.Elf;

namespace Turnstone.Firmware.LinuxBoot;

/// <summary>How to enter an ELF kernel: the user's choice (<c>--boot</c>).</summary>
public enum BootProtocol
{
    /// <summary>PVH for an ELF that has the PVH entry note and is not a Linux kernel; the Linux 64-bit entry otherwise.</summary>
    Auto,
    /// <summary>The Linux boot protocol's 64-bit entry with a zero page (vmlinux ELF entry point).</summary>
    Linux,
    /// <summary>The PVH entry note, 32-bit protected mode with an hvm_start_info, even for a Linux vmlinux.</summary>
    Pvh,
}

/// <summary>
/// The selection rule. A Linux vmlinux built with CONFIG_PVH carries the PVH note too, and it keeps
/// the Linux 64-bit entry by default (the path its boot tests and figures are measured on). A Linux
/// kernel is recognised by notes owned by "Linux": the kernel build emits them (build salt since
/// 4.19, LTO info since 5.12), and that owner name is Linux's own, so a freestanding guest has no
/// reason to carry it. A kernel too old to have them but with the PVH note boots through PVH, which
/// it supports.
/// </summary>
public static class BootProtocolSelection
{
    public const string LinuxNoteOwner = "Linux";

    public static bool IsLinuxKernel(ElfImage elf) => elf.Notes.Any(n => n.Name == LinuxNoteOwner);

    /// <summary>Whether to enter <paramref name="elf"/> through PVH; throws when PVH is asked for and the ELF has no PVH note.</summary>
    public static bool UsesPvh(ElfImage elf, uint? pvhEntry, BootProtocol choice, string what) => choice switch
    {
        BootProtocol.Linux => false,
        BootProtocol.Pvh when pvhEntry is null =>
            throw new BootImageException($"{what} has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY), so it cannot boot through PVH"),
        BootProtocol.Pvh => true,
        _ => pvhEntry is not null && !IsLinuxKernel(elf),
    };
}
