namespace Turnstone.Firmware.Bios;

/// <summary>
/// Where the BIOS's guest-side code lives: the F segment (0xF0000-0xFFFFF, below the ACPI root
/// pointer's E segment), which <see cref="BiosRomImage"/> fills at start-up. Offsets are within
/// segment F000.
/// </summary>
/// <remarks>
/// <code>
/// F000:0000-0FFF  trap stubs, one 16-byte slot per vector (slot N at N * 16)
/// F000:1000-DFFF IRQ0 handler, default IRQ handlers (EOI + IRET), a bare IRET, POST code
/// F000:E000-FFEF  left for tables at the addresses IBM fixed (INT 15h C0h's at F000:E6F5), written
///                 after the ROM image
/// F000:FFF0       reset vector: a far jump to the POST code
/// </code>
/// A trap stub is <c>out FirmwareCallPort, al; jnc done; sti; hlt; jmp trap; done: iret</c>: the
/// monitor finds the vector from which slot CS:IP lies in at the port exit (an engine may report IP
/// at the OUT or after it: both lie in the slot).
/// </remarks>
public static class BiosStubLayout
{
    /// <summary>
    /// The port the stubs write to trap into the monitor. An ISA port no PC device uses: not the
    /// POST port (0x80), fast A20 (0x92), the debug consoles (0xE9, 0xED), the RTC (0x70/71), the
    /// PICs, the PIT, the keyboard controller, APM (0xB2/B3) or the FPU ports (0xF0-0xFF).
    /// </summary>
    public const ushort FirmwareCallPort = 0x9E;

    public const ushort RomSegment = 0xF000;
    public const uint RomBase = 0xF0000;
    public const int RomSize = 0x10000;

    public const ushort TrapStubsOffset = 0x0000;
    public const int TrapSlotSize = 16;
    public const int VectorCount = 256;

    /// <summary>Where the handlers after the trap slots start.</summary>
    public const ushort HandlersOffset = TrapStubsOffset + VectorCount * TrapSlotSize;

    /// <summary>Where the handlers must end: F000:E000 up holds tables at fixed compatibility addresses.</summary>
    public const ushort HandlersLimit = 0xE000;

    /// <summary>The reset vector: F000:FFF0 (physical 0xFFFF0).</summary>
    public const ushort ResetVectorOffset = 0xFFF0;

    /// <summary>The real-mode interrupt vector table: 256 far pointers (offset, segment) at 0.</summary>
    public const uint InterruptVectorTable = 0;

    /// <summary>Where the boot sector is loaded and entered (0000:7C00), and the boot drive's number.</summary>
    public const uint BootSectorAddress = 0x7C00;
    public const byte FirstHardDisk = 0x80;

    /// <summary>The stack POST runs on and the boot sector inherits (0000:7C00, growing down).</summary>
    public const ushort PostStackPointer = 0x7C00;

    /// <summary>BDA fields the guest-side code and INT 13h keep: the timer tick count (dword) and
    /// the midnight flag the IRQ0 handler maintains (<see cref="BiosDataArea"/>'s); the last
    /// hard-disk status INT 13h 01h reports (SeaBIOS keeps the hard disk's at 0x474; 0x441 is the
    /// diskette's).</summary>
    public const uint TickCountAddress = (uint)BiosDataArea.TimerTicks, MidnightFlagAddress = (uint)BiosDataArea.TimerMidnight;
    public const uint HardDiskStatusAddress = 0x474;

    /// <summary>Ticks in a day at 18.2 Hz (the IRQ0 handler wraps the count there and sets the midnight flag).</summary>
    public const uint TicksPerDay = TimeOfDayService.TicksPerDay;

    /// <summary>Where the 8259s' vector bases are left: IRQ 0-7 at INT 08h-0Fh, IRQ 8-15 at INT 70h-77h.</summary>
    public const byte MasterPicVectorBase = 0x08, SlavePicVectorBase = 0x70;

    /// <summary>The user timer tick hook the IRQ0 handler chains (SYSLINUX hooks it).</summary>
    public const byte UserTimerTickVector = 0x1C;

    /// <summary>The slot of <paramref name="vector"/>'s trap stub, as an offset in the F segment.</summary>
    public static ushort TrapSlotOffset(byte vector) => (ushort)(TrapStubsOffset + vector * TrapSlotSize);

    /// <summary>
    /// The vector whose trap stub holds F000:<paramref name="ip"/>, or null when CS:IP is not in a
    /// trap slot (a guest writing the port from elsewhere).
    /// </summary>
    public static byte? VectorAt(ushort cs, ushort ip)
    {
        if (cs != RomSegment || ip < TrapStubsOffset || ip >= HandlersOffset)
        {
            return null;
        }
        return (byte)((ip - TrapStubsOffset) / TrapSlotSize);
    }
}
