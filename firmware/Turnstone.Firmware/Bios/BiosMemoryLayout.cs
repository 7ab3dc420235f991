using Turnstone.Firmware.LinuxBoot;

namespace Turnstone.Firmware.Bios;

/// <summary>
/// Where the legacy BIOS keeps things a guest finds by address. Shared by the services (which
/// read and write them) and the machine's POST (which lays them out), so the two cannot drift.
/// <code>
/// 0x00400-0x004FF  BIOS data area (BDA)
/// 0x9FC00-0x9FFFF  extended BIOS data area (EBDA), 1 KiB as SeaBIOS without extra EBDA data
/// 0xB8000-0xBFFFF  text mode 3's eight pages (character, attribute per cell), kept in RAM by INT 10h
/// 0xE0000          ACPI RSDP (the machine's PlatformLayout; tables follow up to 0xF0000)
/// 0xF0000-0xFFFFF  BIOS segment: the trap stubs (the machine's), the configuration table at F000:E6F5
/// </code>
/// </summary>
public static class BiosMemoryLayout
{
    public const ulong BiosDataArea = 0x400;
    public const ushort BiosDataAreaSegment = 0x40;

    /// <summary>The EBDA sits just below 640 KiB, where the E820 map's legacy reserved range begins.</summary>
    public const ulong ExtendedBiosDataArea = E820Map.ExtendedBiosDataArea;
    public const ushort ExtendedBiosDataAreaSegment = (ushort)(ExtendedBiosDataArea >> 4);
    public const ushort ExtendedBiosDataAreaKiB = 1;

    /// <summary>Conventional memory the BIOS reports (INT 12h, BDA 0x413): 640 KiB less the EBDA.</summary>
    public const ushort BaseMemoryKiB = (ushort)(ExtendedBiosDataArea >> 10);

    /// <summary>Colour text video memory: page n at <see cref="TextVideoMemory"/> + n * <see cref="TextPageBytes"/>.</summary>
    public const ulong TextVideoMemory = 0xB8000;
    public const int TextPageBytes = 0x1000, TextPages = 8;

    public const ushort BiosSegment = 0xF000;

    /// <summary>INT 15h C0h's table, at the address IBM's BIOS (and SeaBIOS) fixed for it.</summary>
    public const ushort SystemConfigurationTableOffset = 0xE6F5;
    public const ulong SystemConfigurationTable = ((ulong)BiosSegment << 4) + SystemConfigurationTableOffset;
}
