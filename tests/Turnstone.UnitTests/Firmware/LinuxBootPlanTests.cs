using Turnstone.Firmware;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.Firmware.X86;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Emulation;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Firmware;

public sealed class LinuxBootPlanTests
{
    private static E820Map Ram(ulong mib) => E820Map.FromRam([new GuestMemoryRegion(0, mib << 20)]);

    private static LinuxKernelImage BzImage(BzImageBuilder? builder = null) =>
        LinuxKernelImage.Parse((builder ?? new BzImageBuilder()).Build(), decompressOnHost: false);

    [Fact]
    public void Command_line_is_NUL_terminated()
    {
        var plan = LinuxBootPlan.Create(BzImage(), null, "console=ttyS0 quiet", Ram(64));

        Assert.Equal("console=ttyS0 quiet\0"u8.ToArray(), plan.CommandLine);
    }

    [Fact]
    public void Command_line_may_be_exactly_cmdline_size_long()
    {
        var plan = LinuxBootPlan.Create(BzImage(new BzImageBuilder { CommandLineSize = 16 }), null, new string('a', 16), Ram(64));

        Assert.Equal(17, plan.CommandLine.Length);
    }

    [Fact]
    public void Command_line_longer_than_cmdline_size_is_rejected()
    {
        var kernel = BzImage(new BzImageBuilder { CommandLineSize = 16 });

        var error = Assert.Throws<BootImageException>(() => LinuxBootPlan.Create(kernel, null, new string('a', 17), Ram(64)));

        Assert.Equal("kernel command line is 17 bytes; this kernel accepts at most 16", error.Message);
    }

    [Fact]
    public void Command_line_length_counts_UTF8_bytes()
    {
        var kernel = BzImage(new BzImageBuilder { CommandLineSize = 16 });

        var error = Assert.Throws<BootImageException>(() => LinuxBootPlan.Create(kernel, null, new string('é', 9), Ram(64)));

        Assert.Contains("is 18 bytes", error.Message);
    }

    [Fact]
    public void A_vmlinux_gets_the_default_limit_of_2047()
    {
        var kernel = LinuxKernelImage.Parse(ElfBuilder.MinimalKernel().Build());

        Assert.Equal(2048, LinuxBootPlan.Create(kernel, null, new string('x', 2047), Ram(64)).CommandLine.Length);
        var error = Assert.Throws<BootImageException>(() => LinuxBootPlan.Create(kernel, null, new string('x', 2048), Ram(64)));
        Assert.Contains("at most 2047", error.Message);
    }

    [Fact]
    public void NUL_in_the_command_line_is_rejected()
    {
        var error = Assert.Throws<BootImageException>(() => LinuxBootPlan.Create(BzImage(), null, "console=ttyS0\0init=/bin/sh", Ram(64)));

        Assert.Equal("kernel command line contains a NUL character", error.Message);
    }

    [Fact]
    public void Compressed_kernel_end_is_its_runtime_address_plus_init_size()
    {
        var plan = LinuxBootPlan.Create(BzImage(new BzImageBuilder { PreferredAddress = 0x100_0000, InitSize = 0x90_0000 }), null, "", Ram(64));

        Assert.Equal(0x190_0000ul, plan.KernelEnd);
    }

    [Fact]
    public void Kernel_needing_more_RAM_than_the_guest_has_is_rejected()
    {
        var kernel = BzImage(new BzImageBuilder { PreferredAddress = 0x100_0000, InitSize = 0x200_0000 });

        var error = Assert.Throws<BootImageException>(() => LinuxBootPlan.Create(kernel, null, "", Ram(32)));

        Assert.Equal("kernel needs guest RAM from 0x100000 to 0x3000000 (48 MiB); increase --memory", error.Message);
    }

    [Fact]
    public void Vmlinux_segment_outside_RAM_is_rejected()
    {
        var kernel = LinuxKernelImage.Parse(ElfBuilder.MinimalKernel().Build());

        var error = Assert.Throws<BootImageException>(() => LinuxBootPlan.Create(kernel, null, "", Ram(16)));

        Assert.Contains("kernel segment at physical 0x1000000 (+0x2000) is not inside guest RAM above 1 MiB", error.Message);
    }

    [Fact]
    public void Vmlinux_segment_below_1MiB_is_rejected()
    {
        var kernel = LinuxKernelImage.Parse(new ElfBuilder { Entry = 0x8000 }.Load(0x8000, 0x8000, [0xF4]).Build());

        var error = Assert.Throws<BootImageException>(() => LinuxBootPlan.Create(kernel, null, "", Ram(64)));

        Assert.Contains("physical 0x8000", error.Message);
    }

    [Fact]
    public void Vmlinux_entry_outside_its_code_is_rejected()
    {
        var elf = ElfBuilder.MinimalKernel();
        elf.Entry = 0x200_0000;
        var kernel = LinuxKernelImage.Parse(elf.Build());

        var error = Assert.Throws<BootImageException>(() => LinuxBootPlan.Create(kernel, null, "", Ram(64)));

        Assert.Equal("kernel entry point 0x2000000 is outside its loaded code", error.Message);
    }

    [Fact]
    public void Host_decompressed_kernel_end_covers_init_size()
    {
        byte[] file = new BzImageBuilder { Payload = Lz4LegacyFrame.Compress(ElfBuilder.MinimalKernel().Build()), InitSize = 0x80_0000 }.Build();
        var kernel = LinuxKernelImage.Parse(file, decompressOnHost: true);

        var plan = LinuxBootPlan.Create(kernel, null, "", Ram(64));

        Assert.Equal(KernelEntryPath.HostDecompressedVmlinux, kernel.Path);
        Assert.Equal(0x180_0000ul, plan.KernelEnd);
    }

    /// <summary>A vmlinux past the part parsed for its headers and across LZ4 blocks (8 MiB each), with a bss.</summary>
    private static (byte[] File, byte[] Text, byte[] Data, int VmlinuxLength) LargeLz4Kernel(int recordedSizeError = 0)
    {
        var random = new Random(12);
        byte[] text = new byte[(9 << 20) + 123], data = new byte[0x3000];
        random.NextBytes(text);
        random.NextBytes(data);
        byte[] vmlinux = new ElfBuilder { Entry = 0x100_0000 }
            .Load(0xFFFF_FFFF_8100_0000, 0x100_0000, text)
            .Load(0xFFFF_FFFF_81A0_0000, 0x1A0_0000, data, memorySize: 0x5000, flags: 6)
            .Build();
        return (new BzImageBuilder { Payload = Lz4LegacyFrame.Compress(vmlinux, trailingSize: (uint)(vmlinux.Length + recordedSizeError)) }.Build(), text, data, vmlinux.Length);
    }

    [Fact]
    public void A_host_decompressed_kernel_is_expanded_chunk_by_chunk_into_its_segments_without_the_whole_vmlinux_held()
    {
        var (file, text, data, vmlinuxLength) = LargeLz4Kernel();
        var kernel = LinuxKernelImage.Parse(file, decompressOnHost: true);
        var memory = new ArrayGuestMemory(64ul << 20);
        memory.GetSpan(0x1A0_0000 + (ulong)data.Length, 0x2000).Fill(0xEE); // the bss must come out zeroed

        var state = LinuxBootPlan.Create(kernel, null, "", Ram(64)).WriteTo(memory);

        Assert.Equal(KernelEntryPath.HostDecompressedVmlinux, kernel.Path);
        Assert.False(kernel.Elf!.IsComplete);
        Assert.True(kernel.Elf.File.Length <= 64 << 10);
        Assert.Equal((ulong)vmlinuxLength, kernel.Elf.FileLength);
        Assert.Equal(0x100_0000ul, state.Rip);
        Assert.True(text.AsSpan().SequenceEqual(memory.GetSpan(0x100_0000, text.Length)));
        Assert.True(data.AsSpan().SequenceEqual(memory.GetSpan(0x1A0_0000, data.Length)));
        Assert.All(memory.GetSpan(0x1A0_0000 + (ulong)data.Length, 0x2000).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal("bzImage, protocol 2.15, Lz4Legacy payload decompressed on the host (9 MiB vmlinux)", kernel.Description);
    }

    [Fact]
    public void A_host_decompressed_kernel_whose_recorded_size_is_wrong_is_rejected_when_loaded()
    {
        var (file, _, _, _) = LargeLz4Kernel(recordedSizeError: 4096); // records more than the vmlinux has
        var kernel = LinuxKernelImage.Parse(file, decompressOnHost: true);
        var plan = LinuxBootPlan.Create(kernel, null, "", Ram(64));

        var error = Assert.Throws<BootImageException>(() => plan.WriteTo(new ArrayGuestMemory(64ul << 20)));

        Assert.StartsWith("LZ4 kernel payload expands to ", error.Message);
    }

    [Fact]
    public void Initrd_goes_page_aligned_at_the_top_of_RAM_below_initrd_addr_max()
    {
        byte[] initrd = new byte[(1 << 20) + 100];

        var plan = LinuxBootPlan.Create(BzImage(new BzImageBuilder { InitrdAddressMax = 0x37FF_FFFF }), initrd, "", Ram(64));

        Assert.Equal(((64ul << 20) - (ulong)initrd.Length) & ~0xFFFul, plan.InitrdAddress);
        Assert.Equal(0ul, plan.InitrdAddress % 4096);
        Assert.True(plan.InitrdAddress >= plan.KernelEnd);
    }

    [Fact]
    public void Initrd_respects_a_low_initrd_addr_max()
    {
        byte[] initrd = new byte[0x3000];

        var plan = LinuxBootPlan.Create(BzImage(new BzImageBuilder { InitrdAddressMax = 0x1FF_FFFF }), initrd, "", Ram(64));

        Assert.Equal(0x200_0000ul - 0x3000, plan.InitrdAddress);
        Assert.True(plan.InitrdAddress + (ulong)initrd.Length - 1 <= 0x1FF_FFFF);
        Assert.True(plan.InitrdAddress >= plan.KernelEnd);
    }

    [Fact]
    public void Initrd_lands_in_the_low_RAM_when_the_high_RAM_is_above_initrd_addr_max()
    {
        var e820 = E820Map.FromRam([new GuestMemoryRegion(0, 0xC000_0000), new GuestMemoryRegion(0x1_0000_0000, 0x4000_0000)]);

        var plan = LinuxBootPlan.Create(BzImage(new BzImageBuilder { InitrdAddressMax = 0x37FF_FFFF }), new byte[0x1000], "", e820);

        Assert.Equal(0x3800_0000ul - 0x1000, plan.InitrdAddress);
    }

    [Fact]
    public void Initrd_that_does_not_fit_is_rejected_with_its_size()
    {
        // 64 MiB of RAM, the kernel runs to 24 MiB: a 48 MiB initrd cannot fit above it.
        var error = Assert.Throws<BootImageException>(() =>
            LinuxBootPlan.Create(BzImage(), new byte[48 << 20], "", Ram(64)));

        Assert.Equal(
            "initrd (48 MiB) does not fit in guest RAM between the kernel's end (0x1800000) and its limit 0x7fffffff; increase --memory",
            error.Message);
    }

    [Fact]
    public void An_empty_initrd_is_not_placed()
    {
        var plan = LinuxBootPlan.Create(BzImage(), [], "", Ram(64));

        Assert.Equal(0ul, plan.InitrdAddress);
    }

    [Fact]
    public void WriteTo_returns_the_64_bit_entry_state_of_a_compressed_bzImage()
    {
        var memory = new ArrayGuestMemory(64ul << 20);
        var plan = LinuxBootPlan.Create(BzImage(), null, "quiet", Ram(64));

        var state = plan.WriteTo(memory);

        Assert.Equal(0x10_0200ul, state.Rip);
        Assert.Equal(BootLayout.ZeroPage, state.Rsi);
        Assert.Equal(0x7000ul, state.Rsi);
        Assert.Equal(BootLayout.StackTop, state.Rsp);
        Assert.Equal(BootLayout.PageTables, state.Cr3);
        Assert.Equal(BootLayout.Gdt, state.GdtBase);
        Assert.Equal(31, state.GdtLimit);
        Assert.Equal(0x10, state.CodeSelector);
        Assert.Equal(0x18, state.DataSelector);
        Assert.Equal(0x8000_0001ul, state.Cr0 & 0x8000_0001ul); // PG and PE
        Assert.Equal(0x20ul, state.Cr4 & 0x20);                  // PAE
        Assert.Equal(0x500ul, state.Efer);                         // LME and LMA
        Assert.Equal(0x2ul, state.Rflags);
    }

    [Fact]
    public void WriteTo_loads_the_protected_mode_kernel_at_1MiB_and_the_command_line()
    {
        var builder = new BzImageBuilder();
        byte[] file = builder.Build();
        var memory = new ArrayGuestMemory(64ul << 20);
        var plan = LinuxBootPlan.Create(LinuxKernelImage.Parse(file, decompressOnHost: false), null, "console=ttyS0", Ram(64));

        plan.WriteTo(memory);

        Assert.Equal(file[builder.SetupBytes..], memory.GetSpan(0x10_0000, file.Length - builder.SetupBytes).ToArray());
        Assert.Equal("console=ttyS0\0"u8.ToArray(), memory.GetSpan(BootLayout.CommandLine, 14).ToArray());
    }

    [Fact]
    public void WriteTo_page_tables_map_the_boot_structures_and_kernel_1_to_1()
    {
        var memory = new ArrayGuestMemory(64ul << 20);
        var state = LinuxBootPlan.Create(BzImage(), new byte[0x2000], "", Ram(64)).WriteTo(memory);
        var mode = new PagingMode(state.Cr0, state.Cr3, state.Cr4, state.Efer);

        foreach (ulong address in new[] { state.Rip, state.Rsi, state.Rsp, BootLayout.CommandLine, state.GdtBase, 0x3FF_F000ul, 0xFFFF_FFFFul })
        {
            Assert.True(GuestPageWalker.TryTranslate(memory, mode, address, out ulong physical), $"0x{address:x} is not mapped");
            Assert.Equal(address, physical);
        }
        Assert.False(GuestPageWalker.TryTranslate(memory, mode, 0x1_0000_0000, out _));
    }

    [Fact]
    public void WriteTo_loads_vmlinux_segments_and_clears_their_bss()
    {
        byte[] file = ElfBuilder.MinimalKernel().Build();
        var kernel = LinuxKernelImage.Parse(file);
        var memory = new ArrayGuestMemory(64ul << 20);
        memory.GetSpan(0x100_0000, 0x4000).Fill(0xEE);
        var plan = LinuxBootPlan.Create(kernel, null, "", Ram(64));

        var state = plan.WriteTo(memory);

        var text = kernel.Elf!.Segments[0];
        Assert.Equal(file.AsSpan((int)text.FileOffset, 0x100).ToArray(), memory.GetSpan(0x100_0000, 0x100).ToArray());
        Assert.All(memory.GetSpan(0x100_0100, 0x1F00).ToArray(), b => Assert.Equal(0, b));
        Assert.All(memory.GetSpan(0x100_2080, 0xF80).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(0xEE, memory.ReadByte(0x100_3000));
        Assert.Equal(0x100_0000ul, state.Rip);
    }

    [Fact]
    public void WriteTo_uses_the_physical_entry_when_a_vmlinux_gives_a_virtual_one()
    {
        var elf = ElfBuilder.MinimalKernel();
        elf.Entry = 0xFFFF_FFFF_8100_0000;
        var plan = LinuxBootPlan.Create(LinuxKernelImage.Parse(elf.Build()), null, "", Ram(64));

        var state = plan.WriteTo(new ArrayGuestMemory(64ul << 20));

        Assert.Equal(0x100_0000ul, state.Rip);
    }
}
