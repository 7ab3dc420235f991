using Turnstone.Bench.VirtioBlock;

namespace Turnstone.UnitTests.Bench;

public sealed class VirtioBlockBenchParserTests
{
    private const string SeqWrite =
        "turnstone-blkbench: workload=seq-write block=1048576 ops=64 bytes=67108864 seconds=0.091093 mbps=736.70 iops=702.58 direct=1 verify=ok";
    private const string SeqRead =
        "turnstone-blkbench: workload=seq-read block=1048576 ops=64 bytes=67108864 seconds=0.032715 mbps=2051.34 iops=1956.31 direct=1";
    private const string RandRead =
        "turnstone-blkbench: workload=rand-read block=4096 ops=2000 bytes=8192000 seconds=0.374560 mbps=21.87 iops=5339.60 direct=0";

    [Fact]
    public void Reads_result_lines_from_a_serial_transcript_and_skips_everything_else()
    {
        string transcript = string.Join("\r\n",
            "[    0.840000] virtio_blk virtio1: [vdb] 131072 512-byte logical blocks",
            "turnstone-guest: root file system reached, uptime 0.84 0.07",
            SeqWrite, SeqRead, RandRead,
            "turnstone-guest: bench exit status 0", "");

        var results = VirtioBlockBenchParser.Parse(transcript);

        Assert.Equal(
            [
                new VirtioBlockBenchResult("seq-write", 1048576, 64, 67108864, 0.091093, 736.70, 702.58, Direct: true),
                new VirtioBlockBenchResult("seq-read", 1048576, 64, 67108864, 0.032715, 2051.34, 1956.31, Direct: true),
                new VirtioBlockBenchResult("rand-read", 4096, 2000, 8192000, 0.374560, 21.87, 5339.60, Direct: false),
            ],
            results);
    }

    [Fact]
    public void Finds_a_result_behind_the_tail_of_a_kernel_message_on_the_same_line()
    {
        var result = Assert.Single(VirtioBlockBenchParser.Parse("random: crng init done" + SeqRead + "\n"));

        Assert.Equal("seq-read", result.Workload);
    }

    [Fact]
    public void Output_without_any_result_line_is_an_error()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            VirtioBlockBenchParser.Parse("garbage\nturnstone-guest: error: no block device /dev/vdb\n"));

        Assert.Contains("no 'turnstone-blkbench: workload=' line", error.Message);
    }

    [Theory]
    [InlineData("seconds=0.032715 ", "the field seconds= is missing or empty")]
    [InlineData("mbps=2051.34 ", "the field mbps= is missing or empty")]
    [InlineData("direct=1", "the field direct= is missing or empty")]
    public void A_result_line_missing_a_field_is_rejected_naming_the_field(string removed, string expected)
    {
        var error = Assert.Throws<FormatException>(() => VirtioBlockBenchParser.Parse("x\n" + SeqRead.Replace(removed, "")));

        Assert.StartsWith("line 2: " + expected, error.Message);
    }

    [Theory]
    [InlineData("ops=64", "ops=sixty", "ops=sixty is not a whole number")]
    [InlineData("mbps=2051.34", "mbps=-1", "mbps=-1 is not a non-negative decimal number")]
    [InlineData("mbps=2051.34", "mbps=NaN", "mbps=NaN is not a non-negative decimal number")]
    [InlineData("direct=1", "direct=yes", "direct=yes; expected 0 or 1")]
    [InlineData("bytes=67108864", "bytes=67108865", "bytes = ops * block")]
    [InlineData("ops=64", "ops=64 ops=65", "repeats a key")]
    [InlineData("workload=seq-read", "workload=fsync", "unknown workload 'fsync'")]
    public void A_result_line_with_a_bad_value_is_rejected(string original, string replacement, string expected)
    {
        var error = Assert.Throws<FormatException>(() => VirtioBlockBenchParser.Parse(SeqRead.Replace(original, replacement)));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_seq_write_line_without_its_verdict_is_rejected()
    {
        var error = Assert.Throws<FormatException>(() => VirtioBlockBenchParser.Parse(SeqWrite.Replace(" verify=ok", "")));

        Assert.Contains("the field verify= is missing", error.Message);
    }

    [Fact]
    public void A_failed_read_back_fails_the_run_with_blkbench_s_own_explanation()
    {
        string transcript =
            SeqWrite.Replace("verify=ok", "verify=fail") + "\n" +
            "turnstone-blkbench: error: verify failed: the 4 KiB block at offset 0 of /dev/vdb differs from what seq-write wrote\n";

        var error = Assert.Throws<InvalidOperationException>(() => VirtioBlockBenchParser.Parse(transcript));

        Assert.Contains("line 1: seq-write read back data that differs from what it wrote (verify=fail)", error.Message);
        Assert.Contains("turnstone-blkbench: error: verify failed: the 4 KiB block at offset 0", error.Message);
    }

    [Fact]
    public void An_error_line_fails_the_run_even_after_good_results()
    {
        var error = Assert.Throws<InvalidOperationException>(() => VirtioBlockBenchParser.Parse(
            SeqRead + "\r\nturnstone-blkbench: error: read of 4096 bytes at offset 8192 of /dev/vdb failed: Input/output error\r\n"));

        Assert.EndsWith("turnstone-blkbench: error: read of 4096 bytes at offset 8192 of /dev/vdb failed: Input/output error", error.Message);
    }
}
