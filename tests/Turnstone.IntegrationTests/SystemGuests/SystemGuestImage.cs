using System.Buffers.Binary;
using System.Text;
using Iced.Intel;
using Turnstone.Bench.Engine;
using static Turnstone.IntegrationTests.SystemGuests.SystemGuestLayout;

namespace Turnstone.IntegrationTests.SystemGuests;

/// <summary>
/// Builds one system-level test guest: code sections of any bitness at fixed addresses, a shared
/// string pool, the GDT and TSS baked into the image, all wrapped as a PVH ELF that QEMU's
/// <c>-kernel</c> and our Linux machine both boot.
/// </summary>
public sealed class SystemGuestImage
{
    private readonly List<(uint Address, uint PlacedAt, int Bitness, uint Limit, Action<Assembler, GuestConsole> Emit)> _sections = [];
    private readonly MemoryStream _strings = new();

    /// <summary>
    /// A guest that goes straight from the PVH entry into long mode (<see cref="GuestPrologue"/>) and
    /// runs <paramref name="code64"/> at <see cref="Code64"/> with flat segments and the kernel stack.
    /// </summary>
    public static byte[] BuildLongModeGuest(Action<Assembler, GuestConsole> code64) => new SystemGuestImage()
        .Section(Entry32, 32, Resume32, (a, _) =>
        {
            GuestPrologue.Start32(a);
            GuestPrologue.EnterLongMode(a);
        })
        .Section(Code64, 64, Compat32, (a, c) =>
        {
            GuestPrologue.Start64(a);
            code64(a, c);
        })
        .BuildElf();

    /// <summary>Adds code assembled for <paramref name="bitness"/> at <paramref name="address"/>,
    /// which must stay below <paramref name="limit"/>.</summary>
    public SystemGuestImage Section(uint address, int bitness, uint limit, Action<Assembler, GuestConsole> emit)
        => Section(address, address, bitness, limit, emit);

    /// <summary>Adds code assembled to run at <paramref name="address"/> but placed in the image at
    /// <paramref name="placedAt"/> (16-bit code the guest copies below 64 KiB itself).</summary>
    public SystemGuestImage Section(uint address, uint placedAt, int bitness, uint limit, Action<Assembler, GuestConsole> emit)
    {
        _sections.Add((address, placedAt, bitness, limit, emit));
        return this;
    }

    /// <summary>The guest-physical address of a NUL-terminated copy of <paramref name="text"/>.</summary>
    public uint String(string text)
    {
        uint address = Strings + (uint)_strings.Length;
        _strings.Write([.. Encoding.ASCII.GetBytes(text), 0]);
        if (_strings.Length > 0x1000)
        {
            throw new InvalidOperationException("the test guest's strings outgrew their page");
        }
        return address;
    }

    public byte[] BuildElf()
    {
        var image = new byte[End - Load];
        foreach (var (address, placedAt, bitness, limit, emit) in _sections)
        {
            var a = new Assembler(bitness);
            var console = new GuestConsole(a, this);
            emit(a, console);
            console.EmitRoutines();
            var stream = new MemoryStream();
            a.Assemble(new StreamCodeWriter(stream), address);
            if (address + stream.Length > limit)
            {
                throw new InvalidOperationException($"the {bitness}-bit section at 0x{address:x} outgrew its space (ends at 0x{address + stream.Length:x}, limit 0x{limit:x})");
            }
            stream.ToArray().CopyTo(image, (int)(placedAt - Load));
        }
        _strings.ToArray().CopyTo(image, (int)(Strings - Load));
        WriteDescriptorTables(image);
        return PvhElf.Build(image, Load, Entry32);
    }

    private static void WriteDescriptorTables(byte[] image)
    {
        void Entry(int selector, ulong descriptor) => BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan((int)(Gdt - Load) + selector), descriptor);
        Entry(Code64Selector, 0x00AF_9A00_0000_FFFF);
        Entry(DataSelector, 0x00CF_9200_0000_FFFF);
        Entry(Code32Selector, 0x00CF_9A00_0000_FFFF);
        Entry(Code16Selector, 0x0000_9A00_0000_FFFF);
        Entry(Data16Selector, 0x0000_9200_0000_FFFF);
        Entry(UserBase, 0x00CF_FA00_0000_FFFF);
        Entry(UserData & ~3, 0x00CF_F200_0000_FFFF);
        Entry(UserCode64 & ~3, 0x00AF_FA00_0000_FFFF);
        // 64-bit available TSS, 104 bytes at Tss64 (its base fits in 32 bits; the upper half is zero).
        Entry(TssSelector, 0x67 | (ulong)(Tss64 & 0xFFFF) << 16 | (ulong)((Tss64 >> 16) & 0xFF) << 32 | 0x89UL << 40 | (ulong)(Tss64 >> 24) << 56);
        // 32-bit data, base TestPages, limit 64 KiB - 1 (byte granular).
        Entry(BasedDataSelector, 0xFFFF | (ulong)(TestPages & 0xFFFF) << 16 | (ulong)((TestPages >> 16) & 0xFF) << 32 | 0x92UL << 40 | 0x40UL << 48);
        const int gdtLimit = 0x5F;
        var tss = image.AsSpan((int)(Tss64 - Load));
        BinaryPrimitives.WriteUInt64LittleEndian(tss[4..], Rsp0Top);   // RSP0
        BinaryPrimitives.WriteUInt64LittleEndian(tss[36..], Ist1Top);  // IST1
        BinaryPrimitives.WriteUInt16LittleEndian(tss[102..], 104);     // I/O map base: no bitmap
        WritePointer(image, GdtPointer, gdtLimit, Gdt);
        WritePointer(image, IdtPointer64, 256 * 16 - 1, Idt64);
        WritePointer(image, IdtPointer32, 256 * 8 - 1, Idt32);
        WritePointer(image, IvtPointer, 0x3FF, 0);
    }

    /// <summary>A pseudo-descriptor for LGDT/LIDT: 16-bit limit, then the base (read as 32 or 64 bits).</summary>
    private static void WritePointer(byte[] image, uint at, ushort limit, uint tableBase)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan((int)(at - Load)), limit);
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan((int)(at - Load + 2)), tableBase);
    }
}
