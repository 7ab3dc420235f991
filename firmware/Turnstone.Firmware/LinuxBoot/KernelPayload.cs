using System.Buffers.Binary;
using System.IO.Compression;
using K4os.Compression.LZ4;

namespace Turnstone.Firmware.LinuxBoot;

public enum PayloadCompression { Unknown, Gzip, Lz4Legacy, Xz, Zstd, Bzip2, Lzma, Lzo }

/// <summary>
/// The compressed vmlinux inside a bzImage. Decompressing it on the host spares the guest its own
/// decompressor, which runs in (on nested hosts, emulated) CPL 0 and costs seconds there.
/// </summary>
public static class KernelPayload
{
    public const uint Lz4LegacyMagic = 0x184C2102;
    private const int Lz4LegacyBlockSize = 8 << 20;
    private const int MaxDecompressedSize = 512 << 20;

    public static PayloadCompression Identify(ReadOnlySpan<byte> payload) => payload switch
    {
        [0x1F, 0x8B, ..] => PayloadCompression.Gzip,
        [0x02, 0x21, 0x4C, 0x18, ..] => PayloadCompression.Lz4Legacy,
        [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, ..] => PayloadCompression.Xz,
        [0x28, 0xB5, 0x2F, 0xFD, ..] => PayloadCompression.Zstd,
        [(byte)'B', (byte)'Z', (byte)'h', ..] => PayloadCompression.Bzip2,
        [0x5D, 0x00, 0x00, ..] => PayloadCompression.Lzma,
        [0x89, 0x4C, 0x5A, 0x4F, ..] => PayloadCompression.Lzo,
        _ => PayloadCompression.Unknown,
    };

    public static bool CanDecompressOnHost(PayloadCompression kind) => kind is PayloadCompression.Gzip or PayloadCompression.Lz4Legacy;

    public static byte[] Decompress(ReadOnlySpan<byte> payload) => Identify(payload) switch
    {
        PayloadCompression.Lz4Legacy => DecompressLz4Legacy(payload),
        PayloadCompression.Gzip => DecompressGzip(payload.ToArray()),
        var other => throw new BootImageException($"kernel payload compressed with {other}: not decompressed on the host"),
    };

    /// <summary>
    /// LZ4 legacy frame as the kernel's build writes it: the magic, then blocks of
    /// [little-endian compressed length][LZ4 block] each expanding to at most 8 MiB (the magic may
    /// repeat between blocks), and finally the kernel build's 4-byte uncompressed size.
    /// </summary>
    public static byte[] DecompressLz4Legacy(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 4 || BinaryPrimitives.ReadUInt32LittleEndian(payload) != Lz4LegacyMagic)
        {
            throw new BootImageException("kernel payload is not an LZ4 legacy frame (bad magic)");
        }
        var output = OutputSizedFor(payload);
        var block = new byte[Lz4LegacyBlockSize];
        int position = 4;
        while (position < payload.Length)
        {
            int remaining = payload.Length - position;
            if (remaining < 4)
            {
                throw new BootImageException("LZ4 kernel payload is truncated inside a block header");
            }
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(payload[position..]);
            if (remaining == 4)
            {
                // The trailing uncompressed size appended by the kernel build: it must agree.
                if (length != output.Length)
                {
                    throw new BootImageException($"LZ4 kernel payload expands to {output.Length} bytes but records {length}");
                }
                break;
            }
            position += 4;
            if (length == Lz4LegacyMagic)
            {
                continue;
            }
            if (length > (uint)(payload.Length - position))
            {
                throw new BootImageException($"LZ4 kernel payload is truncated: a block of {length} bytes at offset {position - 4} runs past the end");
            }
            int decoded = LZ4Codec.Decode(payload.Slice(position, (int)length), block);
            if (decoded < 0)
            {
                throw new BootImageException($"LZ4 kernel payload is corrupt: block at offset {position - 4} does not decode");
            }
            if (output.Length + decoded > MaxDecompressedSize)
            {
                throw new BootImageException("LZ4 kernel payload expands beyond 512 MiB");
            }
            output.Write(block, 0, decoded);
            position += (int)length;
        }
        return Contents(output);
    }

    /// <summary>
    /// An output stream with room for what the payload's last four bytes say it expands to (the
    /// kernel build appends the uncompressed size; gzip's trailer holds it too): one allocation of
    /// the final size instead of a doubling stream and a copy, which for a 50 MiB vmlinux allocated
    /// about 180 MiB. Only a hint: a size that is implausible for the payload's length is ignored,
    /// and the decoders check what they produce against their limits as before.
    /// </summary>
    private static MemoryStream OutputSizedFor(ReadOnlySpan<byte> payload)
    {
        const int MaxPlausibleRatio = 64;
        if (payload.Length >= 4)
        {
            uint recorded = BinaryPrimitives.ReadUInt32LittleEndian(payload[^4..]);
            if (recorded > 0 && recorded <= MaxDecompressedSize && recorded <= (ulong)payload.Length * MaxPlausibleRatio)
            {
                return new MemoryStream((int)recorded);
            }
        }
        return new MemoryStream();
    }

    /// <summary>The stream's bytes, without a copy when the size hint was exact.</summary>
    private static byte[] Contents(MemoryStream output) =>
        output.Length == output.Capacity ? output.GetBuffer() : output.ToArray();

    private static byte[] DecompressGzip(byte[] payload)
    {
        try
        {
            using var gzip = new GZipStream(new MemoryStream(payload), CompressionMode.Decompress);
            var output = OutputSizedFor(payload);
            var buffer = new byte[1 << 20];
            int read;
            while ((read = gzip.Read(buffer)) > 0)
            {
                if (output.Length + read > MaxDecompressedSize)
                {
                    throw new BootImageException("gzip data expands beyond 512 MiB");
                }
                output.Write(buffer, 0, read);
            }
            return Contents(output);
        }
        catch (InvalidDataException e)
        {
            throw new BootImageException($"gzip data is corrupt: {e.Message}");
        }
    }
}
