using Turnstone.Firmware.Elf;
using Turnstone.Firmware.Pvh;

namespace Turnstone.Firmware.LinuxBoot;

public enum KernelEntryPath
{
    /// <summary>bzImage loaded as is; the guest's own decompressor unpacks it (64-bit entry at load + 0x200).</summary>
    CompressedBzImage,
    /// <summary>The bzImage's payload decompressed on the host and its ELF segments loaded directly.</summary>
    HostDecompressedVmlinux,
    /// <summary>A vmlinux ELF given as the kernel, entered at its 64-bit entry point.</summary>
    Vmlinux,
    /// <summary>An ELF entered at its PVH entry note in 32-bit protected mode with an hvm_start_info.</summary>
    Pvh,
}

/// <summary>
/// A validated Linux kernel, ready to be placed in guest memory: a bzImage (kept compressed or
/// decompressed on the host) or a vmlinux ELF; or any ELF that carries the PVH entry note, which
/// the same plan loads and enters through PVH.
/// </summary>
public sealed class LinuxKernelImage
{
    private LinuxKernelImage(KernelEntryPath path, byte[] file, SetupHeader? header, ElfImage? elf, PayloadCompression compression,
        uint? pvhEntry = null)
    {
        Path = path;
        PvhEntry = pvhEntry;
        File = file;
        Header = header;
        Elf = elf;
        Compression = compression;
    }

    public KernelEntryPath Path { get; }
    public byte[] File { get; }
    /// <summary>The bzImage's setup header; null for a plain vmlinux.</summary>
    public SetupHeader? Header { get; }
    /// <summary>The ELF being loaded directly (host-decompressed or given). Host-decompressed, it holds only the
    /// vmlinux's first part (<see cref="ElfImage.IsComplete"/> false): its segments are expanded from
    /// <see cref="CompressedPayload"/> straight into guest memory whenever the kernel is loaded.</summary>
    public ElfImage? Elf { get; }
    /// <summary>The bzImage's compressed vmlinux, on the <see cref="KernelEntryPath.HostDecompressedVmlinux"/> path.</summary>
    public ReadOnlyMemory<byte> CompressedPayload { get; private init; }
    public PayloadCompression Compression { get; }
    /// <summary>The physical entry address from the PVH note, on the <see cref="KernelEntryPath.Pvh"/> path.</summary>
    public uint? PvhEntry { get; }

    public string Description => Path switch
    {
        KernelEntryPath.CompressedBzImage => $"bzImage, protocol {Header!.Version >> 8}.{Header.Version & 0xFF:d2}, {Compression} payload decompressed by the guest",
        KernelEntryPath.HostDecompressedVmlinux => $"bzImage, protocol {Header!.Version >> 8}.{Header.Version & 0xFF:d2}, {Compression} payload decompressed on the host ({Elf!.FileLength >> 20} MiB vmlinux)",
        KernelEntryPath.Pvh when BootProtocolSelection.IsLinuxKernel(Elf!) => $"vmlinux ELF through its PVH entry at 0x{PvhEntry:x}",
        KernelEntryPath.Pvh => $"PVH ELF, entry 0x{PvhEntry:x}",
        _ => "vmlinux ELF",
    };

    /// <summary>How much of a host-decompressed vmlinux is expanded to read its ELF and program headers (they
    /// come first: a vmlinux's program header table follows the 64-byte ELF header).</summary>
    private const int VmlinuxHeaderBytes = 64 << 10;

    /// <summary>Recognises and validates a kernel file. Throws <see cref="BootImageException"/> naming the problem.</summary>
    /// <remarks><paramref name="protocol"/> matters only for an ELF file (see <see cref="BootProtocolSelection"/>).</remarks>
    public static LinuxKernelImage Parse(byte[] file, bool decompressOnHost = true, BootProtocol protocol = BootProtocol.Auto)
    {
        if (file.Length == 0)
        {
            throw new BootImageException("kernel file is empty");
        }
        if (ElfImage.HasElfMagic(file))
        {
            var elf = ElfImage.Parse(file, "ELF kernel");
            uint? pvhEntry = PvhEntryNote.Find(elf, "ELF kernel");
            return BootProtocolSelection.UsesPvh(elf, pvhEntry, protocol, "the ELF kernel")
                ? new LinuxKernelImage(KernelEntryPath.Pvh, file, null, elf, PayloadCompression.Unknown, pvhEntry)
                : new LinuxKernelImage(KernelEntryPath.Vmlinux, file, null, elf, PayloadCompression.Unknown);
        }
        if (protocol == BootProtocol.Pvh)
        {
            throw new BootImageException("booting through PVH needs an ELF kernel with a PVH entry note; this kernel is not an ELF file (a bzImage?)");
        }
        var header = SetupHeader.Parse(file);
        var payload = file.AsMemory(header.SetupBytes + (int)header.PayloadOffset, (int)header.PayloadLength);
        var compression = KernelPayload.Identify(payload.Span);
        if (decompressOnHost && header.PayloadLength > 0 && KernelPayload.CanDecompressOnHost(compression))
        {
            // An LZ4 payload (the kernel build records its size after it, and the decoder checks that) is expanded
            // only as far as the headers now: the whole vmlinux, 50 MiB for Debian's cloud kernel, was the largest
            // thing in the monitor's own memory. A gzip trailer's size may be a last member's only: expanded whole.
            var payloadElf = compression == PayloadCompression.Lz4Legacy && KernelPayload.RecordedSize(payload.Span) is uint size
                ? ElfImage.Parse(KernelPayload.DecompressPrefix(payload, (int)Math.Min(size, VmlinuxHeaderBytes)), "decompressed kernel payload", size)
                : ElfImage.Parse(KernelPayload.Decompress(payload.Span), "decompressed kernel payload");
            return new LinuxKernelImage(KernelEntryPath.HostDecompressedVmlinux, file, header, payloadElf, compression) { CompressedPayload = payload };
        }
        return new LinuxKernelImage(KernelEntryPath.CompressedBzImage, file, header, null, compression);
    }
}
