using Turnstone.Firmware.LinuxBoot;
using Turnstone.Firmware.X86;
using Turnstone.GuestMemory;

namespace Turnstone.Firmware.Pvh;

/// <summary>
/// The PVH boot protocol (Xen's docs/misc/pvh.pandoc, as QEMU and Firecracker implement it): the
/// kernel is entered at its PVH note's address in flat 32-bit protected mode, paging off, with EBX
/// pointing at an hvm_start_info that gives the command line, the initrd as module 0, the ACPI RSDP
/// and the memory map. Everything lives in <see cref="BootLayout.PvhBlock"/>, which the plan has
/// reserved in the E820 map so the guest does not reuse it before it has read it.
/// </summary>
internal static class PvhBoot
{
    /// <summary>Writes the boot structures (the kernel segments and initrd are already in place); returns the entry state.</summary>
    public static BootCpuState Write(IGuestMemory memory, LinuxBootPlan plan)
    {
        memory.Clear(BootLayout.PvhBlock, BootLayout.PvhBlockSize);
        memory.Write(BootLayout.PvhCommandLine, plan.CommandLine);
        uint moduleCount = 0;
        if (plan.Initrd is { Length: > 0 } initrd)
        {
            HvmStartInfo.WriteModule(memory.GetSpan(BootLayout.PvhModuleList, HvmStartInfo.ModuleEntrySize), plan.InitrdAddress, (ulong)initrd.Length);
            moduleCount = 1;
        }
        var entries = plan.E820.Entries;
        HvmStartInfo.WriteMemoryMap(memory.GetSpan(BootLayout.PvhMemoryMap, entries.Count * HvmStartInfo.MemoryMapEntrySize), entries);
        HvmStartInfo.Write(memory.GetSpan(BootLayout.PvhStartInfo, HvmStartInfo.Size), moduleCount,
            moduleCount == 0 ? 0 : BootLayout.PvhModuleList, BootLayout.PvhCommandLine, plan.AcpiRsdpAddress,
            BootLayout.PvhMemoryMap, (uint)entries.Count);
        ushort gdtLimit = FlatProtectedMode.WriteGdt(memory, BootLayout.PvhGdt);
        return new BootCpuState
        {
            Mode = CpuEntryMode.ProtectedMode32,
            Rip = plan.Kernel.PvhEntry ?? throw new InvalidOperationException("a PVH boot needs the kernel's PVH entry"),
            Rbx = BootLayout.PvhStartInfo,
            Cr0 = FlatProtectedMode.Cr0ProtectedMode,
            Cr3 = 0,
            Cr4 = 0,
            Efer = 0,
            GdtBase = BootLayout.PvhGdt,
            GdtLimit = gdtLimit,
            CodeSelector = FlatProtectedMode.CodeSelector,
            DataSelector = FlatProtectedMode.DataSelector,
            TaskSelector = FlatProtectedMode.TaskSelector,
        };
    }
}
