using System.Buffers.Binary;
using Turnstone.Firmware;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.Firmware.Pvh;
using Turnstone.Firmware.X86;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Emulation;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Firmware;

/// <summary>The PVH boot structures in guest memory, checked at the offsets of Xen's start_info.h (written out by hand here).</summary>
public sealed class PvhBootTests
{
    private const ulong Rsdp = 0xE0000;

    private static E820Map Ram(ulong mib) => E820Map.FromRam([new GuestMemoryRegion(0, mib << 20)]);

    private static (LinuxBootPlan Plan, BootCpuState State, ArrayGuestMemory Memory) Boot(byte[]? initrd = null, string cmdline = "console=ttyS0")
    {
        var plan = LinuxBootPlan.Create(LinuxKernelImage.Parse(ElfBuilder.PvhGuest(0x10_0001).Build()), initrd, cmdline, Ram(64));
        plan.AcpiRsdpAddress = Rsdp;
        var memory = new ArrayGuestMemory(64ul << 20);
        return (plan, plan.WriteTo(memory), memory);
    }

    private static uint U32(IGuestMemory memory, ulong address) => memory.ReadUInt32(address);
    private static ulong U64(IGuestMemory memory, ulong address) => memory.ReadUInt64(address);

    [Fact]
    public void Start_info_fields_sit_at_the_header_offsets()
    {
        var (plan, state, memory) = Boot(initrd: [1, 2, 3, 4, 5]);
        ulong info = state.Rbx;

        Assert.Equal(0x336E_C578u, U32(memory, info + 0));    // magic
        Assert.Equal(1u, U32(memory, info + 4));              // version
        Assert.Equal(0u, U32(memory, info + 8));              // flags
        Assert.Equal(1u, U32(memory, info + 12));             // nr_modules
        Assert.Equal(BootLayout.PvhModuleList, U64(memory, info + 16)); // modlist_paddr
        Assert.Equal(BootLayout.PvhCommandLine, U64(memory, info + 24)); // cmdline_paddr
        Assert.Equal(Rsdp, U64(memory, info + 32));           // rsdp_paddr
        Assert.Equal(BootLayout.PvhMemoryMap, U64(memory, info + 40)); // memmap_paddr
        Assert.Equal((uint)plan.E820.Entries.Count, U32(memory, info + 48)); // memmap_entries
        Assert.Equal(0u, U32(memory, info + 52));             // reserved
        Assert.Equal(56, HvmStartInfo.Size);
    }

    [Fact]
    public void The_initrd_is_module_0_without_a_command_line()
    {
        var (plan, _, memory) = Boot(initrd: [1, 2, 3, 4, 5]);
        ulong module = BootLayout.PvhModuleList;

        Assert.Equal(plan.InitrdAddress, U64(memory, module + 0));  // paddr
        Assert.Equal(5ul, U64(memory, module + 8));                 // size
        Assert.Equal(0ul, U64(memory, module + 16));                // cmdline_paddr
        Assert.Equal(0ul, U64(memory, module + 24));                // reserved
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, memory.GetSpan(plan.InitrdAddress, 5).ToArray());
    }

    [Fact]
    public void Without_an_initrd_there_are_no_modules()
    {
        var (_, state, memory) = Boot();

        Assert.Equal(0u, U32(memory, state.Rbx + 12));
        Assert.Equal(0ul, U64(memory, state.Rbx + 16));
    }

    [Fact]
    public void The_memory_map_is_the_E820_map_with_the_PVH_block_reserved()
    {
        var (plan, state, memory) = Boot();
        var entries = plan.E820.Entries;

        for (int i = 0; i < entries.Count; i++)
        {
            ulong slot = BootLayout.PvhMemoryMap + (ulong)i * 24;
            Assert.Equal(entries[i].Address, U64(memory, slot + 0));
            Assert.Equal(entries[i].Size, U64(memory, slot + 8));
            Assert.Equal((uint)entries[i].Type, U32(memory, slot + 16));
            Assert.Equal(0u, U32(memory, slot + 20));
        }
        Assert.Contains(new E820Entry(BootLayout.PvhBlock, BootLayout.PvhBlockSize, E820Type.Reserved), entries);
        Assert.Contains(new E820Entry(0, BootLayout.PvhBlock, E820Type.Ram), entries);
        // Everything the guest is handed lies inside the reserved block.
        foreach (ulong address in new[] { state.Rbx, state.GdtBase, BootLayout.PvhModuleList, BootLayout.PvhCommandLine,
                     BootLayout.PvhMemoryMap + (ulong)entries.Count * 24 - 1 })
        {
            Assert.InRange(address, BootLayout.PvhBlock, BootLayout.PvhBlock + BootLayout.PvhBlockSize - 1);
        }
    }

    [Fact]
    public void The_command_line_is_NUL_terminated_at_its_address()
    {
        var (_, _, memory) = Boot(cmdline: "console=ttyS0 quiet");

        Assert.Equal("console=ttyS0 quiet\0"u8.ToArray(), memory.GetSpan(BootLayout.PvhCommandLine, 20).ToArray());
    }

    [Fact]
    public void The_command_line_must_fit_its_slot()
    {
        var kernel = LinuxKernelImage.Parse(ElfBuilder.PvhGuest().Build());

        Assert.Throws<BootImageException>(() => LinuxBootPlan.Create(kernel, null, new string('x', 2048), Ram(64)));
    }

    [Fact]
    public void Entry_state_is_flat_32_bit_protected_mode_with_EBX_at_start_info()
    {
        var (_, state, memory) = Boot();

        Assert.Equal(CpuEntryMode.ProtectedMode32, state.Mode);
        Assert.Equal(0x10_0001ul, state.Rip);
        Assert.Equal(BootLayout.PvhStartInfo, state.Rbx);
        Assert.Equal(0ul, state.Rsi);
        Assert.Equal(0x2ul, state.Rflags);
        Assert.Equal(0x11ul, state.Cr0); // PE | ET, paging off
        Assert.Equal(0ul, state.Cr3);
        Assert.Equal(0ul, state.Cr4);
        Assert.Equal(0ul, state.Efer);
        Assert.Equal(HvmStartInfo.Magic, U32(memory, state.Rbx));
        // The GDT holds what the segment registers are given: flat 32-bit code and data, a busy 32-bit TSS.
        Assert.Equal(0x00CF_9B00_0000_FFFFul, U64(memory, state.GdtBase + state.CodeSelector));
        Assert.Equal(0x00CF_9300_0000_FFFFul, U64(memory, state.GdtBase + state.DataSelector));
        Assert.Equal(0x0000_8B00_0000_0067ul, U64(memory, state.GdtBase + state.TaskSelector!.Value));
        Assert.Equal(state.TaskSelector.Value + 7, state.GdtLimit);
    }

    [Fact]
    public void Segments_below_1_MiB_are_refused_so_they_cannot_cover_the_boot_structures()
    {
        var guest = new ElfBuilder().Load(0x5000, 0x5000, [0xF4]).PvhNote(0x5000);

        var error = Assert.Throws<BootImageException>(() => LinuxBootPlan.Create(LinuxKernelImage.Parse(guest.Build()), null, "", Ram(64)));

        Assert.Contains("kernel segment at physical 0x5000 (+0x1) is not inside guest RAM above 1 MiB", error.Message);
    }

    [Fact]
    public void An_entry_outside_the_loaded_code_is_refused()
    {
        var error = Assert.Throws<BootImageException>(() =>
            LinuxBootPlan.Create(LinuxKernelImage.Parse(ElfBuilder.PvhGuest(0x20_0000).Build()), null, "", Ram(64)));

        Assert.Equal("PVH entry point 0x200000 is outside its loaded code", error.Message);
    }

    [Fact]
    public void Start_info_writer_lays_out_every_field()
    {
        var bytes = new byte[HvmStartInfo.Size];

        HvmStartInfo.Write(bytes, moduleCount: 2, moduleList: 0x1122, commandLine: 0x3344, rsdp: 0x5566, memoryMap: 0x7788, memoryMapEntries: 9);

        Assert.Equal(0x336E_C578u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(0)));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12)));
        Assert.Equal(0x1122ul, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16)));
        Assert.Equal(0x3344ul, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(24)));
        Assert.Equal(0x5566ul, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(32)));
        Assert.Equal(0x7788ul, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(40)));
        Assert.Equal(9u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(48)));
    }
}
