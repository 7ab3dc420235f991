using Turnstone.GuestMemory;

namespace Turnstone.Firmware.Bios;

/// <summary>
/// The table INT 15h C0h points at (F000:E6F5), with SeaBIOS's contents: model FCh (AT),
/// submodel 0, revision 1; a second PIC, an RTC and an EBDA; INT 16h 09h supported. No INT 15h 4Fh
/// keyboard intercept bit: this machine has no i8042 keyboard interrupt to call it from.
/// </summary>
public static class SystemConfigurationTable
{
    private static readonly byte[] Contents =
    [
        8, 0, // length of what follows
        0xFC, 0x00, 0x01,
        0x40 | 0x20 | 0x04, // second 8259, RTC, EBDA allocated
        0x40, // INT 16h AH=09h supported
        0, 0, 0,
    ];

    public static int Length => Contents.Length;

    public static void Write(IGuestMemory memory) => memory.Write(BiosMemoryLayout.SystemConfigurationTable, Contents);
}
