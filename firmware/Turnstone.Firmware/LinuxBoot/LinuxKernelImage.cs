using Turnstone.Firmware.Elf;

namespace Turnstone.Firmware.LinuxBoot;

public enum KernelEntryPath
{
    /// <summary>bzImage loaded as is; the guest's own decompressor unpacks it (64-bit entry at load + 0x200).</summary>
    CompressedBzImage,
    /// <summary>The bzImage's payload decompressed on the host and its ELF segments loaded directly.</summary>
    HostDecompressedVmlinux,
    /// <summary>A vmlinux ELF given as the kernel.</summary>
    Vmlinux,
}

/// <summary>
/// A validated Linux kernel, ready to be placed in guest memory: a bzImage (kept compressed or
/// decompressed on the host) or a vmlinux ELF.
/// </summary>
public sealed class LinuxKernelImage
{
    private LinuxKernelImage(KernelEntryPath path, byte[] file, SetupHeader? header, ElfImage? elf, PayloadCompression compression)
    {
        Path = path;
        File = file;
        Header = header;
        Elf = elf;
        Compression = compression;
    }

    public KernelEntryPath Path { get; }
    public byte[] File { get; }
    /// <summary>The bzImage's setup header; null for a plain vmlinux.</summary>
    public SetupHeader? Header { get; }
    /// <summary>The ELF being loaded directly (host-decompressed or given).</summary>
    public ElfImage? Elf { get; }
    public PayloadCompression Compression { get; }

    public string Description => Path switch
    {
        KernelEntryPath.CompressedBzImage => $"bzImage, protocol {Header!.Version >> 8}.{Header.Version & 0xFF:d2}, {Compression} payload decompressed by the guest",
        KernelEntryPath.HostDecompressedVmlinux => $"bzImage, protocol {Header!.Version >> 8}.{Header.Version & 0xFF:d2}, {Compression} payload decompressed on the host ({Elf!.File.Length >> 20} MiB vmlinux)",
        _ => "vmlinux ELF",
    };

    /// <summary>Recognises and validates a kernel file. Throws <see cref="BootImageException"/> naming the problem.</summary>
    public static LinuxKernelImage Parse(byte[] file, bool decompressOnHost = true)
    {
        if (file.Length == 0)
        {
            throw new BootImageException("kernel file is empty");
        }
        if (ElfImage.HasElfMagic(file))
        {
            return new LinuxKernelImage(KernelEntryPath.Vmlinux, file, null, ElfImage.Parse(file, "vmlinux"), PayloadCompression.Unknown);
        }
        var header = SetupHeader.Parse(file);
        var payload = file.AsSpan(header.SetupBytes + (int)header.PayloadOffset, (int)header.PayloadLength);
        var compression = KernelPayload.Identify(payload);
        if (decompressOnHost && header.PayloadLength > 0 && KernelPayload.CanDecompressOnHost(compression))
        {
            var vmlinux = KernelPayload.Decompress(payload);
            var elf = ElfImage.Parse(vmlinux, "decompressed kernel payload");
            return new LinuxKernelImage(KernelEntryPath.HostDecompressedVmlinux, file, header, elf, compression);
        }
        return new LinuxKernelImage(KernelEntryPath.CompressedBzImage, file, header, null, compression);
    }
}
