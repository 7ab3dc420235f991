using System.Buffers.Binary;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.GuestMemory;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Firmware;

/// <summary>struct boot_params as <see cref="LinuxBootPlan.WriteTo"/> leaves it at 0x7000.</summary>
public sealed class ZeroPageTests
{
    private const ulong Base = BootLayout.ZeroPage;
    private static readonly byte[] Initrd = Enumerable.Range(0, 0x3000).Select(i => (byte)(i * 7)).ToArray();

    private static (byte[] Page, byte[] File, LinuxBootPlan Plan, ArrayGuestMemory Memory) Boot(BzImageBuilder? builder = null, Action<LinuxBootPlan>? configure = null)
    {
        byte[] file = (builder ?? new BzImageBuilder()).Build();
        var memory = new ArrayGuestMemory(64ul << 20);
        memory.GetSpan(Base, ZeroPage.Size).Fill(0xCC);
        var plan = LinuxBootPlan.Create(LinuxKernelImage.Parse(file, decompressOnHost: false), Initrd, "root=/dev/vda quiet",
            E820Map.FromRam([new GuestMemoryRegion(0, 64ul << 20)]));
        configure?.Invoke(plan);
        plan.WriteTo(memory);
        return (memory.GetSpan(Base, ZeroPage.Size).ToArray(), file, plan, memory);
    }

    private static uint U32(byte[] page, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(offset));

    private static ulong U64(byte[] page, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(page.AsSpan(offset));

    [Fact]
    public void Setup_header_is_copied_from_the_bzImage_at_0x1F1()
    {
        var (page, file, plan, _) = Boot(new BzImageBuilder { InitSize = 0x123_4000, KernelAlignment = 0x40_0000, XLoadFlags = 0x7F });
        int length = plan.Kernel.Header!.Length;
        // Fields the loader writes (vid_mode, type_of_loader, loadflags, code32_start, ramdisk, heap_end_ptr, cmd_line_ptr).
        int[] loaderFields = [0x1FA, 0x1FB, 0x210, 0x211, .. Enumerable.Range(0x214, 4), .. Enumerable.Range(0x218, 8),
            .. Enumerable.Range(0x224, 2), .. Enumerable.Range(0x228, 4)];

        for (int offset = SetupHeader.Offset; offset < SetupHeader.Offset + length; offset++)
        {
            if (!loaderFields.Contains(offset))
            {
                Assert.True(file[offset] == page[offset], $"zero page byte 0x{offset:x} is 0x{page[offset]:x2}, the bzImage has 0x{file[offset]:x2}");
            }
        }
        Assert.Equal(0x53726448u, U32(page, 0x202));
        Assert.Equal(0x123_4000u, U32(page, 0x260));
        Assert.Equal(0x40_0000u, U32(page, 0x230));
        Assert.Equal(0, page[SetupHeader.Offset + length]); // the rest of the page is cleared
    }

    [Fact]
    public void Loader_fields_are_filled_in()
    {
        var (page, _, _, memory) = Boot();

        Assert.Equal(0xFF, page[0x210]);                       // type_of_loader: undefined
        Assert.Equal(0x81, page[0x211]);                       // loadflags: LOADED_HIGH | CAN_USE_HEAP
        Assert.Equal(0xFFFF, BinaryPrimitives.ReadUInt16LittleEndian(page.AsSpan(0x1FA))); // vid_mode normal
        Assert.Equal(0x10_0000u, U32(page, 0x214));           // code32_start
        Assert.Equal(0xFE00, BinaryPrimitives.ReadUInt16LittleEndian(page.AsSpan(0x224))); // heap_end_ptr
        Assert.Equal((uint)BootLayout.CommandLine, U32(page, 0x228)); // cmd_line_ptr
        Assert.Equal(0u, U32(page, 0x0C8));                   // ext_cmd_line_ptr
        Assert.Equal("root=/dev/vda quiet\0"u8.ToArray(), memory.GetSpan(BootLayout.CommandLine, 20).ToArray());
    }

    [Fact]
    public void Ramdisk_address_and_size_point_at_the_loaded_initrd()
    {
        var (page, _, plan, memory) = Boot();

        Assert.Equal((uint)plan.InitrdAddress, U32(page, 0x218));
        Assert.Equal((uint)Initrd.Length, U32(page, 0x21C));
        Assert.Equal(0u, U32(page, 0x0C0)); // ext_ramdisk_image
        Assert.Equal(Initrd, memory.GetSpan(plan.InitrdAddress, Initrd.Length).ToArray());
    }

    [Fact]
    public void E820_table_has_its_count_at_0x1E8_and_20_byte_entries_at_0x2D0()
    {
        var (page, _, plan, _) = Boot();

        Assert.Equal(3, page[0x1E8]);
        Assert.Equal(plan.E820.Entries.Count, page[0x1E8]);
        (ulong Address, ulong Size, uint Type)[] expected =
        [
            (0, 0x9FC00, 1),
            (0x9FC00, 0x60400, 2),
            (0x100000, (64ul << 20) - 0x100000, 1),
        ];
        for (int i = 0; i < expected.Length; i++)
        {
            int slot = 0x2D0 + i * 20;
            Assert.Equal(expected[i], (U64(page, slot), U64(page, slot + 8), U32(page, slot + 16)));
        }
        Assert.Equal(0ul, U64(page, 0x2D0 + 3 * 20)); // nothing after the last entry
    }

    [Fact]
    public void Acpi_rsdp_address_is_written_when_set()
    {
        var (withRsdp, _, _, _) = Boot(configure: plan => plan.AcpiRsdpAddress = 0xE_0000);
        var (without, _, _, _) = Boot();

        Assert.Equal(0xE_0000ul, U64(withRsdp, 0x070));
        Assert.Equal(0ul, U64(without, 0x070));
    }

    [Fact]
    public void A_vmlinux_gets_a_minimal_header()
    {
        var memory = new ArrayGuestMemory(64ul << 20);
        var plan = LinuxBootPlan.Create(LinuxKernelImage.Parse(ElfBuilder.MinimalKernel().Build()), null, "",
            E820Map.FromRam([new GuestMemoryRegion(0, 64ul << 20)]));

        plan.WriteTo(memory);

        Assert.Equal(0xAA55, memory.ReadUInt16(Base + 0x1FE));
        Assert.Equal(0x53726448u, memory.ReadUInt32(Base + 0x202));
        Assert.Equal(0x020F, memory.ReadUInt16(Base + 0x206));
        Assert.Equal(0xFF, memory.ReadByte(Base + 0x210));
        Assert.Equal(0u, memory.ReadUInt32(Base + 0x218)); // no initrd
        Assert.Equal(3, memory.ReadByte(Base + 0x1E8));
    }
}
