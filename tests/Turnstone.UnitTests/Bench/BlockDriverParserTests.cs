using Turnstone.Bench.VirtioBlock;

namespace Turnstone.UnitTests.Bench;

public sealed class BlockDriverParserTests
{
    private const string Boot = "turnstone-blkdriver: boot start_info=0x6000 ram_mib=255 cmdline=\"bytes=64M qd=1,16\"";
    private const string Platform = "turnstone-blkdriver: platform tsc_hz=2995200000 tsc_source=cpuid-15 acpi_pm1a_cnt=0x604 s5_slp_typ=0 ecam=0xb0000000 lapic_id=0";
    private const string Device = "turnstone-blkdriver: device pci=00:03.0 id=1af4:1042 config=ecam capacity=134217728 queue_size=256 features_offered=0x130000064 features=0x130000044 event_idx=1 indirect=0 flush=1 size_max=0 seg_max=254 msix=1";
    private const string SeqRead =
        "turnstone-blkdriver: workload=seq-read mode=poll qd=16 block=1048576 ops=64 bytes=67108864 seconds=0.011898 mbps=5640.00 iops=5378.72 verify=ok segs=1 kicks=3 irqs=0";
    private const string RandWrite =
        "turnstone-blkdriver: workload=rand-write mode=msix qd=1 block=4096 ops=4000 bytes=16384000 seconds=0.400000 mbps=40.96 iops=10000.00 verify=n/a segs=1 kicks=4000 irqs=4000";
    private const string Done = "turnstone-blkdriver: done workloads=2 failures=0 io_traps=0";

    private static string Transcript(params string[] lines) => string.Join("\r\n", lines) + "\r\n";

    [Fact]
    public void Reads_the_results_and_run_info_from_a_serial_transcript_skipping_everything_else()
    {
        string transcript = Transcript(
            "SeaBIOS (version 1.16.3)", Boot, Platform, Device,
            "turnstone-blkdriver: warning: ignoring parameter foo=1",
            SeqRead, RandWrite, Done);

        var (results, info) = BlockDriverParser.ParseRun(transcript);

        Assert.Equal(
            [
                new BlockDriverResult("seq-read", "poll", 16, 1048576, 64, 67108864, 0.011898, 5640.00, 5378.72, "ok", 1, 3, 0),
                new BlockDriverResult("rand-write", "msix", 1, 4096, 4000, 16384000, 0.4, 40.96, 10000, "n/a", 1, 4000, 4000),
            ],
            results);
        Assert.Equal(new BlockDriverRunInfo(IoTraps: 0, TscHz: 2995200000, TscSource: "cpuid-15"), info);
    }

    [Fact]
    public void Finds_lines_behind_garbage_the_console_left_before_the_prefix()
    {
        var results = BlockDriverParser.Parse("\0\u00ff\u001b[0m" + SeqRead + "\nxx" + Done.Replace("workloads=2", "workloads=1"));

        Assert.Equal("seq-read", Assert.Single(results).Workload);
    }

    [Fact]
    public void Run_info_without_a_platform_line_has_no_tsc()
    {
        var (_, info) = BlockDriverParser.ParseRun(Transcript(SeqRead, RandWrite, Done.Replace("io_traps=0", "io_traps=7")));

        Assert.Equal(new BlockDriverRunInfo(7, null, null), info);
    }

    [Theory]
    [InlineData(" ops=64", "the field ops= is missing or empty")]
    [InlineData(" mode=poll", "the field mode= is missing or empty")]
    [InlineData(" irqs=0", "the field irqs= is missing or empty")]
    public void A_result_line_missing_a_field_is_rejected_naming_the_line_and_field(string removed, string expected)
    {
        var error = Assert.Throws<FormatException>(() => BlockDriverParser.Parse(Transcript(Boot, SeqRead.Replace(removed, ""), RandWrite, Done)));

        Assert.StartsWith("line 2: " + expected, error.Message);
        Assert.EndsWith(SeqRead.Replace(removed, ""), error.Message);
    }

    [Theory]
    [InlineData("mbps=5640.00", "mbps=5640,00", "mbps=5640,00 is not a non-negative decimal number")]
    [InlineData("seconds=0.011898", "seconds=-0.011898", "seconds=-0.011898 is not a non-negative decimal number")]
    [InlineData("kicks=3", "kicks=3x", "kicks=3x is not a whole number")]
    [InlineData("qd=16", "qd=0", "qd=0 is not a whole number from 1 to 64")]
    [InlineData("mode=poll", "mode=irq", "mode=irq; expected poll or msix")]
    [InlineData("verify=ok", "verify=n/a", "verify=n/a; expected ok or fail")]
    [InlineData("bytes=67108864", "bytes=67108865", "bytes must equal ops * block")]
    [InlineData("kicks=3", "kicks=3 kicks=4", "'kicks=4' is not a key=value field, or repeats a key")]
    public void A_malformed_result_line_is_rejected_naming_the_field(string field, string replacement, string expected)
    {
        var error = Assert.Throws<FormatException>(() => BlockDriverParser.Parse(Transcript(SeqRead.Replace(field, replacement), RandWrite, Done)));

        Assert.StartsWith("line 1: " + expected, error.Message);
    }

    [Fact]
    public void An_error_line_fails_the_run_quoting_the_guest()
    {
        const string Error = "turnstone-blkdriver: error: exception vector=14 error=0x4 rip=0x104a2c cr2=0x0";

        var error = Assert.Throws<InvalidOperationException>(() => BlockDriverParser.Parse(Transcript(Boot, SeqRead, Error)));

        Assert.Contains(Error, error.Message);
    }

    [Fact]
    public void A_failed_verify_fails_the_run_quoting_the_line()
    {
        string failed = SeqRead.Replace("verify=ok", "verify=fail");

        var error = Assert.Throws<InvalidOperationException>(() =>
            BlockDriverParser.Parse(Transcript(failed, RandWrite, Done.Replace("failures=0", "failures=1"))));

        Assert.Contains(failed, error.Message);
        Assert.Contains("failures=1", error.Message);
    }

    [Fact]
    public void A_done_line_counting_failures_fails_the_run()
    {
        string done = Done.Replace("failures=0", "failures=2");

        var error = Assert.Throws<InvalidOperationException>(() => BlockDriverParser.Parse(Transcript(SeqRead, RandWrite, done)));

        Assert.Contains(done, error.Message);
    }

    [Fact]
    public void A_run_without_its_done_line_means_the_guest_died_even_if_its_last_line_was_cut_short()
    {
        var error = Assert.Throws<InvalidOperationException>(() => BlockDriverParser.Parse(Boot + "\n" + SeqRead + "\n" + RandWrite[..60]));

        Assert.Contains("no 'turnstone-blkdriver: done' line", error.Message);
        Assert.Contains(RandWrite[..60], error.Message);
        Assert.IsType<FormatException>(error.InnerException);
    }

    [Fact]
    public void Output_without_any_guest_line_says_so()
    {
        var error = Assert.Throws<InvalidOperationException>(() => BlockDriverParser.Parse("qemu: could not load kernel\n"));

        Assert.Contains("it printed no line at all", error.Message);
    }

    [Fact]
    public void A_done_line_counting_more_workloads_than_were_read_means_lines_were_lost()
    {
        var error = Assert.Throws<InvalidOperationException>(() => BlockDriverParser.Parse(Transcript(SeqRead, Done)));

        Assert.Contains("reported 2 workloads but the transcript holds 1 result lines", error.Message);
    }
}
