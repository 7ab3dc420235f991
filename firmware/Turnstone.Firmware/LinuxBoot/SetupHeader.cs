using System.Buffers.Binary;

namespace Turnstone.Firmware.LinuxBoot;

/// <summary>
/// The x86 Linux boot protocol's setup header (Documentation/arch/x86/boot.rst), at offset 0x1F1
/// of a bzImage and of the zero page. Offsets below are the protocol's.
/// </summary>
public sealed class SetupHeader
{
    public const int Offset = 0x1F1;
    public const uint HeaderMagic = 0x53726448; // "HdrS"
    public const ushort BootFlag = 0xAA55;
    /// <summary>2.12: xloadflags, so the 64-bit entry point can be checked for.</summary>
    public const ushort MinimumVersion = 0x020C;

    public const byte LoadedHigh = 0x01, KeepSegments = 0x40, CanUseHeap = 0x80;
    public const ushort XlfKernel64 = 0x01, XlfCanBeLoadedAbove4G = 0x02;

    public byte SetupSectors { get; private init; }
    public uint SysSize { get; private init; }
    public ushort Version { get; private init; }
    public byte LoadFlags { get; private init; }
    public uint Code32Start { get; private init; }
    public uint InitrdAddressMax { get; private init; }
    public uint KernelAlignment { get; private init; }
    public bool Relocatable { get; private init; }
    public ushort XLoadFlags { get; private init; }
    public uint CommandLineSize { get; private init; }
    public uint PayloadOffset { get; private init; }
    public uint PayloadLength { get; private init; }
    public ulong PreferredAddress { get; private init; }
    public uint InitSize { get; private init; }

    /// <summary>Length of the header in bytes from <see cref="Offset"/>: 0x202 + the jump's displacement - 0x1F1.</summary>
    public int Length { get; private init; }

    /// <summary>Bytes of the real-mode setup code (sectors plus the boot sector); the protected-mode kernel follows.</summary>
    public int SetupBytes => (SetupSectors + 1) * 512;

    public static SetupHeader Parse(ReadOnlySpan<byte> image)
    {
        if (image.Length < 0x268)
        {
            throw new BootImageException($"kernel image is truncated ({image.Length} bytes): too short for a Linux setup header");
        }
        if (U16(image, 0x1FE) != BootFlag)
        {
            throw new BootImageException("kernel image has no boot sector signature 0xAA55 at 0x1FE: not a bzImage");
        }
        if (U32(image, 0x202) != HeaderMagic)
        {
            throw new BootImageException("kernel image has no 'HdrS' magic at 0x202: not a Linux bzImage (or a pre-2.0 kernel)");
        }
        ushort version = U16(image, 0x206);
        if (version < MinimumVersion)
        {
            throw new BootImageException($"kernel boot protocol {version >> 8}.{version & 0xFF:d2} is too old: 64-bit boot needs 2.12 or later");
        }
        byte setupSectors = image[0x1F1] == 0 ? (byte)4 : image[0x1F1];
        var header = new SetupHeader
        {
            SetupSectors = setupSectors,
            SysSize = U32(image, 0x1F4),
            Version = version,
            LoadFlags = image[0x211],
            Code32Start = U32(image, 0x214),
            InitrdAddressMax = U32(image, 0x22C),
            KernelAlignment = U32(image, 0x230),
            Relocatable = image[0x234] != 0,
            XLoadFlags = U16(image, 0x236),
            CommandLineSize = U32(image, 0x238),
            PayloadOffset = U32(image, 0x248),
            PayloadLength = U32(image, 0x24C),
            PreferredAddress = U64(image, 0x258),
            InitSize = U32(image, 0x260),
            Length = 0x202 + image[0x201] - Offset,
        };
        header.Validate(image.Length);
        return header;
    }

    private void Validate(int imageLength)
    {
        if ((LoadFlags & LoadedHigh) == 0)
        {
            throw new BootImageException("kernel is a zImage (loadflags.LOADED_HIGH clear): only bzImage kernels are supported");
        }
        if ((XLoadFlags & XlfKernel64) == 0)
        {
            throw new BootImageException("kernel has no 64-bit entry point (xloadflags.XLF_KERNEL_64 clear): a 32-bit kernel?");
        }
        if (Length < 0x268 - Offset || Offset + Length > imageLength || Offset + Length > 0x1000)
        {
            throw new BootImageException($"setup header length {Length} is out of range");
        }
        if (KernelAlignment == 0 || (KernelAlignment & (KernelAlignment - 1)) != 0)
        {
            throw new BootImageException($"kernel_alignment 0x{KernelAlignment:x} is not a power of two");
        }
        long protectedModeBytes = (long)SysSize * 16;
        if (SetupBytes >= imageLength || protectedModeBytes > imageLength - SetupBytes)
        {
            throw new BootImageException($"kernel image is truncated: header says {SetupBytes} setup bytes + {protectedModeBytes} kernel bytes, file has {imageLength}");
        }
        if (PayloadLength != 0 && ((long)PayloadOffset + PayloadLength > protectedModeBytes))
        {
            throw new BootImageException("compressed payload lies outside the protected-mode kernel");
        }
        if (InitSize == 0)
        {
            throw new BootImageException("kernel's init_size is zero");
        }
    }

    private static ushort U16(ReadOnlySpan<byte> b, int o) => BinaryPrimitives.ReadUInt16LittleEndian(b[o..]);
    private static uint U32(ReadOnlySpan<byte> b, int o) => BinaryPrimitives.ReadUInt32LittleEndian(b[o..]);
    private static ulong U64(ReadOnlySpan<byte> b, int o) => BinaryPrimitives.ReadUInt64LittleEndian(b[o..]);
}
