using Turnstone.GuestMemory;

namespace Turnstone.Firmware.Bios;

/// <summary>
/// The BIOS data area at 0x400 and the EBDA, filled at POST as SeaBIOS leaves them: serial port
/// bases, the EBDA segment, the equipment word, base memory, the keyboard ring buffer, the video
/// state of 80x25 colour text mode 3, and the hard disk count. The services keep them current
/// afterwards (cursor, keys, ticks), and guests that peek the BDA directly see the same values.
/// </summary>
public static class BiosDataArea
{
    // Absolute addresses of the fields (segment 0x40 offset + 0x400).
    public const ulong SerialPorts = 0x400, EbdaSegment = 0x40E, EquipmentWord = 0x410, BaseMemoryKiB = 0x413;
    public const ulong KeyboardFlags0 = 0x417, KeyboardFlags1 = 0x418;
    public const ulong KeyboardBufferHead = 0x41A, KeyboardBufferTail = 0x41C;
    public const ulong VideoMode = 0x449, VideoColumns = 0x44A, VideoPageSize = 0x44C, VideoPageStart = 0x44E;
    public const ulong CursorPositions = 0x450, CursorShape = 0x460, ActivePage = 0x462, CrtcPort = 0x463;
    public const ulong VideoModeControl = 0x465, VideoPalette = 0x466;
    public const ulong TimerTicks = 0x46C, TimerMidnight = 0x470;
    public const ulong HardDiskCount = 0x475;
    public const ulong KeyboardBufferStart = 0x480, KeyboardBufferEnd = 0x482;
    public const ulong VideoRowsMinusOne = 0x484, CharacterHeight = 0x485;
    public const ulong KeyboardMode = 0x496;
    public const ulong UserWaitMicroseconds = 0x49C, UserWaitFlag = 0x4A0;

    /// <summary>The keyboard ring buffer's bounds as offsets in segment 0x40 (the BDA stores offsets).</summary>
    public const ushort KeyboardRingStart = 0x1E, KeyboardRingEnd = 0x3E;

    public const byte TextMode = 3;
    public const byte TextColumns = 80, TextRows = 25;

    private static readonly ushort[] SerialPortBases = [0x3F8, 0x2F8, 0x3E8, 0x2E8];

    /// <summary>The equipment word: the serial port count in bits 9-11, 80x25 colour video (bits
    /// 4-5 = 10b), an x87 (bit 1), no floppy (bit 0 clear), as SeaBIOS sets it on such a machine.</summary>
    public static ushort EquipmentFor(int serialPortCount) => (ushort)((serialPortCount << 9) | 0x20 | 0x02);

    /// <summary>
    /// Writes the BDA and the EBDA header. <paramref name="serialPortCount"/> 16550s sit at the
    /// standard COM bases (the machine has COM1); <paramref name="hardDiskCount"/> is the number of
    /// BIOS drives from 0x80. The tick count at 0x46C is the clock service's to seed.
    /// </summary>
    public static void Write(IGuestMemory memory, int serialPortCount, byte hardDiskCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(serialPortCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(serialPortCount, SerialPortBases.Length);
        memory.GetSpan(BiosMemoryLayout.BiosDataArea, 0x100).Clear();
        for (int i = 0; i < serialPortCount; i++)
        {
            memory.WriteUInt16(SerialPorts + (ulong)(2 * i), SerialPortBases[i]);
        }
        memory.WriteUInt16(EbdaSegment, BiosMemoryLayout.ExtendedBiosDataAreaSegment);
        memory.WriteUInt16(EquipmentWord, EquipmentFor(serialPortCount));
        memory.WriteUInt16(BaseMemoryKiB, BiosMemoryLayout.BaseMemoryKiB);

        memory.WriteUInt16(KeyboardBufferHead, KeyboardRingStart);
        memory.WriteUInt16(KeyboardBufferTail, KeyboardRingStart);
        memory.WriteUInt16(KeyboardBufferStart, KeyboardRingStart);
        memory.WriteUInt16(KeyboardBufferEnd, KeyboardRingEnd);
        memory.WriteByte(KeyboardMode, 0x10); // a 101/102-key keyboard, as SeaBIOS's kbd_init says

        memory.WriteByte(VideoMode, TextMode);
        memory.WriteUInt16(VideoColumns, TextColumns);
        memory.WriteUInt16(VideoPageSize, 0x1000); // 80x25x2 bytes rounded up to 4 KiB, as a VGA BIOS sets
        memory.WriteUInt16(CursorShape, 0x0607); // underline: start line 6, end line 7
        memory.WriteUInt16(CrtcPort, 0x3D4); // colour adapter
        memory.WriteByte(VideoModeControl, 0x29); // text, 80 columns, blink: the mode 3 value
        memory.WriteByte(VideoPalette, 0x30);
        memory.WriteByte(VideoRowsMinusOne, TextRows - 1);
        memory.WriteUInt16(CharacterHeight, 16);

        memory.WriteByte(HardDiskCount, hardDiskCount);

        memory.GetSpan(BiosMemoryLayout.ExtendedBiosDataArea, BiosMemoryLayout.ExtendedBiosDataAreaKiB << 10).Clear();
        memory.WriteUInt16(BiosMemoryLayout.ExtendedBiosDataArea, BiosMemoryLayout.ExtendedBiosDataAreaKiB);
    }
}
