namespace Turnstone.IntegrationTests.SystemGuests;

/// <summary>
/// Where everything of a system-level test guest lives. The PVH ELF loads one segment at 1 MiB;
/// code of each bitness is assembled at a fixed address so code of one mode can jump to another's
/// by address (Iced labels do not cross assemblers). The tables are filled in the image, the page
/// tables by the guest's own 32-bit code.
/// </summary>
public static class SystemGuestLayout
{
    public const uint Load = 0x10_0000;
    /// <summary>The PVH entry: 32-bit protected mode, paging off.</summary>
    public const uint Entry32 = 0x10_0000;
    /// <summary>Second 32-bit section: where 16-bit code comes back to protected mode.</summary>
    public const uint Resume32 = 0x10_1800;
    public const uint Code64 = 0x10_2000;
    /// <summary>16-bit code, copied below 64 KiB by the guest before it leaves protected mode, and run there.</summary>
    public const uint Code16Image = 0x10_4000, Code16 = 0x7000, Code16Size = 0x1000;
    /// <summary>32-bit code run in compatibility mode (long mode, a 32-bit code segment).</summary>
    public const uint Compat32 = 0x10_3C00;
    public const uint Gdt = 0x10_5000, GdtPointer = 0x10_57F0, Tss64 = 0x10_5800;
    public const uint IdtPointer64 = 0x10_57E0, IvtPointer = 0x10_57D0, IdtPointer32 = 0x10_57C0;
    public const uint Strings = 0x10_6000;
    public const uint Idt64 = 0x10_7000;
    public const uint Pml4 = 0x10_8000, Pdpt = 0x10_9000, PageDirectory = 0x10_A000, PageTable = 0x10_B000;
    public const uint Idt32 = 0x10_C000;
    public const uint KernelStackTop = 0x10_D800, Rsp0Top = 0x10_E000, Ist1Top = 0x10_F000, UserStackTop = 0x11_0000;
    public const uint End = 0x11_0000;
    /// <summary>Pages the paging tests map, unmap and protect (inside the first 2 MiB, mapped by 4 KiB pages).</summary>
    public const uint TestPages = 0x1F_0000;

    public const ushort Code64Selector = 0x08, DataSelector = 0x10, Code32Selector = 0x18, Code16Selector = 0x20, Data16Selector = 0x28;
    /// <summary>SYSRET's base: user code32 at +0, user data at +8, user code64 at +16.</summary>
    public const ushort UserBase = 0x30, UserData = 0x38 | 3, UserCode64 = 0x40 | 3;
    public const ushort TssSelector = 0x48;
    /// <summary>A 32-bit data segment whose base is <see cref="TestPages"/>.</summary>
    public const ushort BasedDataSelector = 0x58;

    public const ushort Com1 = 0x3F8;
}
