using System.Buffers.Binary;
using System.IO.Compression;
using Turnstone.Firmware;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Firmware;

public sealed class KernelPayloadTests
{
    /// <summary>Compressible but not trivial: a kernel image is mostly code and zero pages.</summary>
    private static byte[] Sample(int length)
    {
        var bytes = new byte[length];
        var random = new Random(1234);
        for (int i = 0; i < length; i += 4096)
        {
            random.NextBytes(bytes.AsSpan(i, Math.Min(256, length - i)));
        }
        return bytes;
    }

    [Fact]
    public void Lz4_legacy_single_block_round_trips()
    {
        byte[] original = Sample(300_000);

        Assert.Equal(original, KernelPayload.DecompressLz4Legacy(Lz4LegacyFrame.Compress(original)));
    }

    [Fact]
    public void Lz4_legacy_multi_block_round_trips()
    {
        byte[] original = Sample(Lz4LegacyFrame.BlockSize + 123_457);
        byte[] frame = Lz4LegacyFrame.Compress(original);

        byte[] result = KernelPayload.DecompressLz4Legacy(frame);

        Assert.Equal(original.Length, result.Length);
        Assert.True(original.AsSpan().SequenceEqual(result), "multi-block output differs from the input");
    }

    [Fact]
    public void Lz4_legacy_allocates_the_output_once_at_the_size_the_payload_records()
    {
        byte[] original = Sample(3 * Lz4LegacyFrame.BlockSize + 4096);
        byte[] frame = Lz4LegacyFrame.Compress(original);
        KernelPayload.DecompressLz4Legacy(frame); // warm-up: JIT and statics

        long before = GC.GetAllocatedBytesForCurrentThread();
        byte[] result = KernelPayload.DecompressLz4Legacy(frame);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(original.AsSpan().SequenceEqual(result), "output differs from the input");
        // The output once plus the 8 MiB block buffer; a doubling stream and its final copy came to
        // more than three times the output.
        Assert.InRange(allocated, original.Length, original.Length + Lz4LegacyFrame.BlockSize + (1 << 20));
    }

    [Fact]
    public void Gzip_members_back_to_back_decompress_whole_though_the_last_records_only_its_own_size()
    {
        byte[] first = Sample(700_000), second = Sample(5_000);
        byte[] payload = [.. Gzip(first), .. Gzip(second)]; // an initramfs may be such a concatenation

        Assert.Equal([.. first, .. second], KernelPayload.Decompress(payload));
    }

    private static byte[] Gzip(byte[] data)
    {
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }
        return compressed.ToArray();
    }

    [Fact]
    public void Lz4_legacy_skips_the_magic_repeated_between_blocks()
    {
        byte[] original = Sample(Lz4LegacyFrame.BlockSize + 4096);
        byte[] frame = Lz4LegacyFrame.Compress(original, repeatMagicBetweenBlocks: true);

        Assert.True(original.AsSpan().SequenceEqual(KernelPayload.DecompressLz4Legacy(frame)));
    }

    [Fact]
    public void Lz4_legacy_rejects_a_bad_magic()
    {
        byte[] frame = Lz4LegacyFrame.Compress(Sample(1000));
        frame[0] ^= 0xFF;

        var error = Assert.Throws<BootImageException>(() => KernelPayload.DecompressLz4Legacy(frame));
        Assert.Contains("bad magic", error.Message);
    }

    [Fact]
    public void Lz4_legacy_rejects_a_corrupt_block()
    {
        byte[] frame = Lz4LegacyFrame.Compress(Sample(10_000));
        // The first token promises a long literal run that the block does not hold.
        frame[8] = 0xFF;
        frame.AsSpan(9, 40).Fill(0xFF);

        var error = Assert.Throws<BootImageException>(() => KernelPayload.DecompressLz4Legacy(frame));
        Assert.Contains("corrupt: block at offset 4", error.Message);
    }

    [Fact]
    public void Lz4_legacy_rejects_a_truncated_block()
    {
        byte[] frame = Lz4LegacyFrame.Compress(Sample(10_000));
        byte[] truncated = frame[..(frame.Length - 100)];

        var error = Assert.Throws<BootImageException>(() => KernelPayload.DecompressLz4Legacy(truncated));
        Assert.Contains("truncated: a block of", error.Message);
        Assert.Contains("at offset 4 runs past the end", error.Message);
    }

    [Fact]
    public void Lz4_legacy_rejects_a_truncated_block_header()
    {
        byte[] frame = [.. Lz4LegacyFrame.Compress(Sample(1000))[..^4], 0x10, 0x00];

        var error = Assert.Throws<BootImageException>(() => KernelPayload.DecompressLz4Legacy(frame));
        Assert.Contains("truncated inside a block header", error.Message);
    }

    [Fact]
    public void Lz4_legacy_rejects_a_wrong_trailing_size()
    {
        byte[] frame = Lz4LegacyFrame.Compress(Sample(5000), trailingSize: 4999);

        var error = Assert.Throws<BootImageException>(() => KernelPayload.DecompressLz4Legacy(frame));
        Assert.Contains("expands to 5000 bytes but records 4999", error.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0x1F, 0x8B, 0x08, 0x00 }, PayloadCompression.Gzip)]
    [InlineData(new byte[] { 0x02, 0x21, 0x4C, 0x18, 0x00 }, PayloadCompression.Lz4Legacy)]
    [InlineData(new byte[] { 0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 0x00 }, PayloadCompression.Xz)]
    [InlineData(new byte[] { 0x28, 0xB5, 0x2F, 0xFD, 0x00 }, PayloadCompression.Zstd)]
    [InlineData(new byte[] { 0x42, 0x5A, 0x68, 0x39 }, PayloadCompression.Bzip2)]
    [InlineData(new byte[] { 0x5D, 0x00, 0x00, 0x80 }, PayloadCompression.Lzma)]
    [InlineData(new byte[] { 0x89, 0x4C, 0x5A, 0x4F, 0x00 }, PayloadCompression.Lzo)]
    [InlineData(new byte[] { 0x7F, 0x45, 0x4C, 0x46 }, PayloadCompression.Unknown)]
    [InlineData(new byte[] { 0x1F }, PayloadCompression.Unknown)]
    [InlineData(new byte[0], PayloadCompression.Unknown)]
    public void Identifies_the_compression_from_its_magic(byte[] start, PayloadCompression expected)
    {
        Assert.Equal(expected, KernelPayload.Identify(start));
    }

    [Fact]
    public void Only_gzip_and_lz4_are_decompressed_on_the_host()
    {
        var onHost = Enum.GetValues<PayloadCompression>().Where(KernelPayload.CanDecompressOnHost);

        Assert.Equal([PayloadCompression.Gzip, PayloadCompression.Lz4Legacy], onHost);
    }

    [Fact]
    public void Decompresses_a_gzip_payload()
    {
        byte[] original = Sample(200_000);
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(original);
        }

        Assert.Equal(original, KernelPayload.Decompress(compressed.ToArray()));
    }

    [Fact]
    public void Rejects_a_corrupt_gzip_payload()
    {
        byte[] payload = [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];

        var error = Assert.Throws<BootImageException>(() => KernelPayload.Decompress(payload));
        Assert.StartsWith("gzip", error.Message);
        Assert.Contains("corrupt", error.Message);
    }

    [Fact]
    public void Decompress_dispatches_lz4_by_magic()
    {
        byte[] original = Sample(4096);

        Assert.Equal(original, KernelPayload.Decompress(Lz4LegacyFrame.Compress(original)));
    }

    [Fact]
    public void Decompress_refuses_formats_it_cannot_handle_naming_them()
    {
        var error = Assert.Throws<BootImageException>(() => KernelPayload.Decompress([0x28, 0xB5, 0x2F, 0xFD, 1, 2, 3]));
        Assert.Contains("compressed with Zstd", error.Message);
    }

    [Fact]
    public void Lz4_frame_written_by_the_test_helper_has_the_kernel_build_layout()
    {
        byte[] frame = Lz4LegacyFrame.Compress(Sample(1000));

        Assert.Equal(KernelPayload.Lz4LegacyMagic, BinaryPrimitives.ReadUInt32LittleEndian(frame));
        uint blockLength = BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(4));
        Assert.Equal(frame.Length, 4 + 4 + (int)blockLength + 4);
        Assert.Equal(1000u, BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(frame.Length - 4)));
    }
}
