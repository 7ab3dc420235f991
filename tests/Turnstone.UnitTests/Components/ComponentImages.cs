using Turnstone.Components;
using Turnstone.Firmware.Elf;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Components;

/// <summary>
/// Component ELF files for the loader tests, built with the shared <see cref="ElfBuilder"/>. The
/// typical image is laid out the way <c>gcc -static -no-pie -z separate-code</c> links a component:
/// headers (R) at the image base, text (R+X) on its own pages, read-only data (R), and a .bss-only
/// data segment (RW, no file bytes) that starts at an unaligned address in a fresh page.
/// </summary>
internal static class ComponentImages
{
    public const uint R = ElfLoadSegment.Read, RX = ElfLoadSegment.Read | ElfLoadSegment.Execute, RW = ElfLoadSegment.Read | ElfLoadSegment.Write;
    public const uint RWX = ElfLoadSegment.Read | ElfLoadSegment.Write | ElfLoadSegment.Execute;

    // The typical layout, written out as literals so the tests do not recompute what the loader computes.
    public const ulong HeadersAddress = 0x40_0000, TextAddress = 0x40_1000, RodataAddress = 0x40_2000, BssAddress = 0x40_30A0;
    public const ulong HeadersSize = 0x1E8, TextSize = 0xF00, RodataSize = 0x98, BssSize = 0x1010;
    /// <summary>Pages of the .bss segment: 0x4030A0 + 0x1010 = 0x4040B0, so [0x403000, 0x405000).</summary>
    public const ulong DataStart = 0x40_3000, DataEnd = 0x40_5000;
    public const ulong Entry = 0x40_1010;

    /// <summary>A little code: xor eax, eax; out 0xE8, al; hlt, padded with int3.</summary>
    public static byte[] Code(int length) => [0x31, 0xC0, 0xE6, 0xE8, 0xF4, .. Enumerable.Repeat((byte)0xCC, length - 5)];

    public static ElfBuilder Typical() => new ElfBuilder { Entry = Entry }
        .Load(HeadersAddress, HeadersAddress, Bytes((int)HeadersSize, 0x11), flags: R)
        .Load(TextAddress, TextAddress, Code((int)TextSize), flags: RX)
        .Load(RodataAddress, RodataAddress, Bytes((int)RodataSize, 0x22), flags: R)
        .Load(BssAddress, BssAddress, [], memorySize: BssSize, flags: RW);

    /// <summary>A single text page at <see cref="TextAddress"/> with the entry in it.</summary>
    public static ElfBuilder TextOnly() => new ElfBuilder { Entry = TextAddress }.Load(TextAddress, TextAddress, Code(0x100), flags: RX);

    public static byte[] Bytes(int length, byte value) => Enumerable.Repeat(value, length).ToArray();

    public static (ElfImage Image, ComponentAddressSpace Space) Validate(ElfBuilder builder, ComponentLimits? limits = null) =>
        Validate(builder.Build(), limits);

    public static (ElfImage Image, ComponentAddressSpace Space) Validate(byte[] file, ComponentLimits? limits = null) =>
        ComponentRuntime.Validate(file, new ComponentOptions { Limits = limits ?? new ComponentLimits() }, "x.elf");

    public static ComponentImageException Rejects(ElfBuilder builder, ComponentLimits? limits = null) => Rejects(builder.Build(), limits);

    public static ComponentImageException Rejects(byte[] file, ComponentLimits? limits = null) =>
        Assert.Throws<ComponentImageException>(() => Validate(file, limits));
}
