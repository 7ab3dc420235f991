namespace Turnstone.Firmware.Bios;

/// <summary>INT 13h status codes (AH on return, and the BDA's last status), as SeaBIOS names them.</summary>
public static class DiskStatus
{
    public const byte Success = 0x00;
    /// <summary>Invalid function or parameter (bad CHS, a count out of range, an absent drive, past the end).</summary>
    public const byte InvalidParameter = 0x01;
    public const byte WriteProtected = 0x03;
    /// <summary>A buffer outside RAM or the real-mode address space (SeaBIOS's DMA boundary error).</summary>
    public const byte BufferOutOfRange = 0x09;
    /// <summary>The host could not read or write the image (SeaBIOS: controller failure).</summary>
    public const byte ControllerFailure = 0x20;
}
