using System.Text;
using Turnstone.Firmware.Elf;
using Turnstone.Firmware.Pvh;
using Turnstone.Firmware.X86;
using Turnstone.GuestMemory;

namespace Turnstone.Firmware.LinuxBoot;

/// <summary>
/// Everything the Linux boot protocol needs, checked and placed before a VM exists: the kernel, the
/// initrd position, the command line and the E820 map for a given RAM layout. <see cref="WriteTo"/>
/// then fills guest memory and returns the vCPU state to enter the kernel with: the Linux 64-bit
/// entry with a zero page, or the PVH entry (<see cref="PvhBoot"/>) for a kernel on that path.
/// </summary>
public sealed class LinuxBootPlan
{
    private const uint DefaultInitrdAddressMax = 0x37FF_FFFF;

    private LinuxBootPlan(LinuxKernelImage kernel, byte[]? initrd, byte[] commandLine, E820Map e820, ulong kernelEnd, ulong initrdAddress)
    {
        Kernel = kernel;
        Initrd = initrd;
        CommandLine = commandLine;
        E820 = e820;
        KernelEnd = kernelEnd;
        InitrdAddress = initrdAddress;
    }

    public LinuxKernelImage Kernel { get; }
    public byte[]? Initrd { get; }
    /// <summary>The command line as bytes, NUL-terminated.</summary>
    public byte[] CommandLine { get; }
    public E820Map E820 { get; }
    /// <summary>First byte after the memory the kernel occupies while it boots.</summary>
    public ulong KernelEnd { get; }
    public ulong InitrdAddress { get; }

    /// <summary>The guest-physical address of the ACPI RSDP, when the machine provides ACPI tables.</summary>
    public ulong AcpiRsdpAddress { get; set; }

    /// <remarks>For a PVH kernel, reserves <see cref="BootLayout.PvhBlock"/> in <paramref name="e820"/>.</remarks>
    public static LinuxBootPlan Create(LinuxKernelImage kernel, byte[]? initrd, string commandLine, E820Map e820)
    {
        var header = kernel.Header;
        bool pvh = kernel.Path == KernelEntryPath.Pvh;
        byte[] cmdline = EncodeCommandLine(commandLine, header?.CommandLineSize ?? 2047,
            pvh ? BootLayout.PvhCommandLineMax : BootLayout.CommandLineMax);
        ulong kernelEnd = CheckKernelFits(kernel, e820);
        ulong initrdAddress = 0;
        if (initrd is { Length: > 0 })
        {
            initrdAddress = PlaceInitrd(initrd.Length, header?.InitrdAddressMax ?? DefaultInitrdAddressMax, kernelEnd, e820);
        }
        if (pvh)
        {
            e820.Reclassify(BootLayout.PvhBlock, BootLayout.PvhBlockSize, E820Type.Reserved);
        }
        return new LinuxBootPlan(kernel, initrd, cmdline, e820, kernelEnd, initrdAddress);
    }

    private static byte[] EncodeCommandLine(string commandLine, uint limit, ulong room)
    {
        if (commandLine.Contains('\0'))
        {
            throw new BootImageException("kernel command line contains a NUL character");
        }
        byte[] bytes = Encoding.UTF8.GetBytes(commandLine);
        ulong max = Math.Min(limit, room - 1);
        if ((ulong)bytes.Length > max)
        {
            throw new BootImageException($"kernel command line is {bytes.Length} bytes; this kernel accepts at most {max}");
        }
        return [.. bytes, 0];
    }

    private static ulong CheckKernelFits(LinuxKernelImage kernel, E820Map e820)
    {
        ulong start, end;
        if (kernel.Elf is { } elf)
        {
            start = elf.Segments.Min(s => s.PhysicalAddress);
            end = elf.Segments.Max(s => s.PhysicalAddress + s.MemorySize);
            foreach (var segment in elf.Segments)
            {
                if (segment.PhysicalAddress < BootLayout.LowestKernelAddress || !e820.IsUsableRam(segment.PhysicalAddress, segment.MemorySize))
                {
                    throw new BootImageException(
                        $"kernel segment at physical 0x{segment.PhysicalAddress:x} (+0x{segment.MemorySize:x}) is not inside guest RAM above 1 MiB; more --memory?");
                }
            }
            ulong entry = kernel.PvhEntry ?? EntryPhysical(elf.Entry);
            if (!elf.Segments.Any(s => entry >= s.PhysicalAddress && entry < s.PhysicalAddress + s.FileSize))
            {
                string which = kernel.PvhEntry is null ? $"kernel entry point 0x{elf.Entry:x}" : $"PVH entry point 0x{entry:x}";
                throw new BootImageException($"{which} is outside its loaded code");
            }
            if (kernel.Header is { } elfHeader)
            {
                end = Math.Max(end, start + elfHeader.InitSize);
            }
        }
        else
        {
            var header = kernel.Header!;
            start = BootLayout.ProtectedModeKernel;
            ulong runtimeStart = Math.Max(header.PreferredAddress, BootLayout.ProtectedModeKernel);
            end = Math.Max(start + (ulong)(kernel.File.Length - header.SetupBytes), runtimeStart + header.InitSize);
        }
        if (!e820.IsUsableRam(start, end - start))
        {
            throw new BootImageException($"kernel needs guest RAM from 0x{start:x} to 0x{end:x} ({(end + 0xFFFFF) >> 20} MiB); increase --memory");
        }
        return end;
    }

    private static ulong PlaceInitrd(int size, uint initrdAddressMax, ulong kernelEnd, E820Map e820)
    {
        // Highest page-aligned spot in the RAM entry above the kernel, below the kernel's limit.
        foreach (var entry in e820.Entries.Where(e => e.Type == E820Type.Ram).OrderByDescending(e => e.Address))
        {
            ulong top = Math.Min(entry.End, (ulong)initrdAddressMax + 1);
            if (top < (ulong)size)
            {
                continue;
            }
            ulong address = (top - (ulong)size) & ~0xFFFul;
            if (address >= entry.Address && address >= kernelEnd)
            {
                return address;
            }
        }
        throw new BootImageException(
            $"initrd ({(size + 0xFFFFF) >> 20} MiB) does not fit in guest RAM between the kernel's end (0x{kernelEnd:x}) and its limit 0x{initrdAddressMax:x}; increase --memory");
    }

    // vmlinux's entry (phys_startup_64) is a physical address; mask in case a tool wrote the virtual one.
    private static ulong EntryPhysical(ulong entry) => entry >= 0xFFFF_8000_0000_0000 ? entry & 0x3FFF_FFFF : entry;

    /// <summary>Decompresses the vmlinux chunk by chunk, each chunk's bytes written to the segments they belong to.</summary>
    private static void ExpandSegments(IGuestMemory memory, ElfImage elf, ReadOnlyMemory<byte> payload)
    {
        long expanded = KernelPayload.Expand(payload, (offset, chunk) =>
        {
            ulong chunkStart = (ulong)offset, chunkEnd = chunkStart + (ulong)chunk.Length;
            foreach (var segment in elf.Segments)
            {
                ulong start = Math.Max(chunkStart, segment.FileOffset), end = Math.Min(chunkEnd, segment.FileOffset + segment.FileSize);
                if (start < end)
                {
                    memory.Write(segment.PhysicalAddress + (start - segment.FileOffset), chunk.Slice((int)(start - chunkStart), (int)(end - start)));
                }
            }
            return true;
        });
        if ((ulong)expanded != elf.FileLength)
        {
            throw new BootImageException($"decompressed kernel payload: expands to {expanded} bytes, but records {elf.FileLength}");
        }
    }

    /// <summary>
    /// Writes kernel, initrd and the boot structures (command line, zero page, page tables and GDT;
    /// or PVH's start info); returns the entry state.
    /// </summary>
    public BootCpuState WriteTo(IGuestMemory memory)
    {
        ulong entry;
        if (Kernel.Elf is { } elf)
        {
            if (elf.IsComplete)
            {
                foreach (var segment in elf.Segments)
                {
                    memory.Write(segment.PhysicalAddress, elf.File.Span.Slice((int)segment.FileOffset, (int)segment.FileSize));
                }
            }
            else
            {
                ExpandSegments(memory, elf, Kernel.CompressedPayload);
            }
            foreach (var segment in elf.Segments)
            {
                memory.Clear(segment.PhysicalAddress + segment.FileSize, segment.MemorySize - segment.FileSize);
            }
            entry = EntryPhysical(elf.Entry);
        }
        else
        {
            memory.Write(BootLayout.ProtectedModeKernel, Kernel.File.AsSpan(Kernel.Header!.SetupBytes));
            entry = BootLayout.ProtectedModeKernel + 0x200; // the 64-bit entry: startup_64 of the decompressor
        }
        if (Initrd is { Length: > 0 })
        {
            memory.Write(InitrdAddress, Initrd);
        }
        if (Kernel.Path == KernelEntryPath.Pvh)
        {
            return PvhBoot.Write(memory, this);
        }
        memory.Write(BootLayout.CommandLine, CommandLine);
        ZeroPage.Write(memory, BootLayout.ZeroPage, this);
        ulong cr3 = X86Paging.WriteIdentityMap4GiB(memory, BootLayout.PageTables);
        ushort gdtLimit = X86Paging.WriteBootGdt(memory, BootLayout.Gdt);
        return new BootCpuState
        {
            Rip = entry,
            Rsi = BootLayout.ZeroPage,
            Rsp = BootLayout.StackTop,
            Cr3 = cr3,
            GdtBase = BootLayout.Gdt,
            GdtLimit = gdtLimit,
            CodeSelector = X86Paging.BootCodeSelector,
            DataSelector = X86Paging.BootDataSelector,
        };
    }
}
