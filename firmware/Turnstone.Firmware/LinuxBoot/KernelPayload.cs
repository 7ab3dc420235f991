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

    /// <summary>Receives the decompressed bytes in order, <paramref name="offset"/> being the chunk's position in
    /// the output; returning false stops the decompression there.</summary>
    public delegate bool ChunkSink(long offset, ReadOnlySpan<byte> chunk);

    public static byte[] Decompress(ReadOnlySpan<byte> payload)
    {
        if (Identify(payload) == PayloadCompression.Lz4Legacy)
        {
            return DecompressLz4Legacy(payload);
        }
        var output = OutputSizedFor(payload);
        Expand(payload.ToArray(), CollectInto(output));
        return Contents(output);
    }

    /// <summary>
    /// Decompresses <paramref name="payload"/> chunk by chunk into <paramref name="sink"/>, holding no more
    /// than one chunk (8 MiB for LZ4, 1 MiB for gzip): a loader can place a 50 MiB vmlinux's segments
    /// straight into guest memory without the whole file in the monitor's own. Returns the bytes produced
    /// (up to where the sink stopped it). Throws <see cref="BootImageException"/> on corrupt data.
    /// </summary>
    public static long Expand(ReadOnlyMemory<byte> payload, ChunkSink sink) => Identify(payload.Span) switch
    {
        PayloadCompression.Lz4Legacy => ExpandLz4Legacy(payload.Span, sink),
        PayloadCompression.Gzip => ExpandGzip(payload, sink),
        var other => throw new BootImageException($"kernel payload compressed with {other}: not decompressed on the host"),
    };

    /// <summary>The first <paramref name="length"/> bytes the payload expands to (fewer if it expands to less).</summary>
    public static byte[] DecompressPrefix(ReadOnlyMemory<byte> payload, int length)
    {
        var prefix = new MemoryStream(length);
        Expand(payload, (_, chunk) =>
        {
            prefix.Write(chunk[..Math.Min(chunk.Length, length - (int)prefix.Length)]);
            return prefix.Length < length;
        });
        return prefix.ToArray();
    }

    /// <summary>What the payload's last four bytes say it expands to (the kernel build appends it; gzip's trailer
    /// holds it too), when that is plausible for the payload's length; null otherwise.</summary>
    public static uint? RecordedSize(ReadOnlySpan<byte> payload)
    {
        const int MaxPlausibleRatio = 64;
        if (payload.Length >= 4)
        {
            uint recorded = BinaryPrimitives.ReadUInt32LittleEndian(payload[^4..]);
            if (recorded > 0 && recorded <= MaxDecompressedSize && recorded <= (ulong)payload.Length * MaxPlausibleRatio)
            {
                return recorded;
            }
        }
        return null;
    }

    /// <summary>
    /// LZ4 legacy frame as the kernel's build writes it: the magic, then blocks of
    /// [little-endian compressed length][LZ4 block] each expanding to at most 8 MiB (the magic may
    /// repeat between blocks), and finally the kernel build's 4-byte uncompressed size.
    /// </summary>
    public static byte[] DecompressLz4Legacy(ReadOnlySpan<byte> payload)
    {
        var output = OutputSizedFor(payload);
        ExpandLz4Legacy(payload, CollectInto(output));
        return Contents(output);
    }

    /// <summary>A sink that appends every chunk to <paramref name="output"/>.</summary>
    private static ChunkSink CollectInto(MemoryStream output) => (_, chunk) =>
    {
        output.Write(chunk);
        return true;
    };

    private static long ExpandLz4Legacy(ReadOnlySpan<byte> payload, ChunkSink sink)
    {
        if (payload.Length < 4 || BinaryPrimitives.ReadUInt32LittleEndian(payload) != Lz4LegacyMagic)
        {
            throw new BootImageException("kernel payload is not an LZ4 legacy frame (bad magic)");
        }
        var block = new byte[Lz4LegacyBlockSize];
        long produced = 0;
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
                if (length != produced)
                {
                    throw new BootImageException($"LZ4 kernel payload expands to {produced} bytes but records {length}");
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
            if (produced + decoded > MaxDecompressedSize)
            {
                throw new BootImageException("LZ4 kernel payload expands beyond 512 MiB");
            }
            if (!sink(produced, block.AsSpan(0, decoded)))
            {
                return produced + decoded;
            }
            produced += decoded;
            position += (int)length;
        }
        return produced;
    }

    /// <summary>
    /// An output stream with room for what the payload records it expands to (<see cref="RecordedSize"/>):
    /// one allocation of the final size instead of a doubling stream and a copy, which for a 50 MiB
    /// vmlinux allocated about 180 MiB. Only a hint: the decoders check what they produce against their
    /// limits as before.
    /// </summary>
    private static MemoryStream OutputSizedFor(ReadOnlySpan<byte> payload) =>
        RecordedSize(payload) is uint recorded ? new MemoryStream((int)recorded) : new MemoryStream();

    /// <summary>The stream's bytes, without a copy when the size hint was exact.</summary>
    private static byte[] Contents(MemoryStream output) =>
        output.Length == output.Capacity ? output.GetBuffer() : output.ToArray();

    private static long ExpandGzip(ReadOnlyMemory<byte> payload, ChunkSink sink)
    {
        try
        {
            using var gzip = new GZipStream(new ReadOnlyMemoryStream(payload), CompressionMode.Decompress);
            var buffer = new byte[1 << 20];
            long produced = 0;
            int read;
            while ((read = gzip.Read(buffer)) > 0)
            {
                if (produced + read > MaxDecompressedSize)
                {
                    throw new BootImageException("gzip data expands beyond 512 MiB");
                }
                if (!sink(produced, buffer.AsSpan(0, read)))
                {
                    return produced + read;
                }
                produced += read;
            }
            return produced;
        }
        catch (InvalidDataException e)
        {
            throw new BootImageException($"gzip data is corrupt: {e.Message}");
        }
    }

    /// <summary>A read-only stream over memory (the payload is a slice of the kernel file).</summary>
    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> memory) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => memory.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int count = Math.Min(buffer.Length, memory.Length - _position);
            memory.Span.Slice(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
