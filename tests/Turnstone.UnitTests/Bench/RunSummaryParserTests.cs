using Turnstone.Bench.Boot;

namespace Turnstone.UnitTests.Bench;

public sealed class RunSummaryParserTests
{
    private const string SoftwareLog = """
        [turnstone] engine: soft (--engine soft)
        [turnstone] boot timer: guest init reached after 4.71 s

        [turnstone] guest reset (i8042 reset line (port 0x64, command 0xFE))
        [turnstone] engine soft; ran 4.86 s; boot timer 4.71 s; 2779 exits (port I/O 1157, MMIO 1293); 30538779 guest instructions (6.3 M/s); 369 interrupts delivered; monitor RSS beyond guest RAM 72 MiB (managed heap 12 MiB)
        """;

    private const string KvmLog = """
        [turnstone] guest reset (i8042 reset line (port 0x64, command 0xFE))
        [turnstone] engine kvm; ran 65.24 s; boot timer 63.62 s; 1496 exits (port I/O 1020, MMIO 126, emulated instructions 6 [popcnt 3, wait 2, int3 1], debug 344); system calls repaired 154 + int 0x80 0; virtio queue work off the vCPU: hvc0 1 guest notifications, 1.8 ms; monitor RSS beyond guest RAM 42 MiB (managed heap 0 MiB)
        """;

    [Fact]
    public void Reads_the_software_engines_summary()
    {
        var figures = RunSummaryParser.Parse(SoftwareLog);

        Assert.NotNull(figures);
        Assert.Equal("soft", figures.Engine);
        Assert.Equal(4.86, figures.RanSeconds);
        Assert.Equal(4.71, figures.BootTimerSeconds);
        Assert.Equal(30538779, figures.GuestInstructions);
        Assert.Equal(72, figures.MonitorBeyondGuestRamMebibytes);
        Assert.Equal(12, figures.ManagedHeapMebibytes);
        Assert.Equal(30538779 / 4.86, figures.InstructionsPerSecond!.Value, 1e-6);
    }

    [Fact]
    public void Reads_KVMs_summary_which_counts_no_instructions()
    {
        var figures = RunSummaryParser.Parse(KvmLog);

        Assert.NotNull(figures);
        Assert.Equal("kvm", figures.Engine);
        Assert.Equal(63.62, figures.BootTimerSeconds);
        Assert.Null(figures.GuestInstructions);
        Assert.Null(figures.InstructionsPerSecond);
        Assert.Equal(42, figures.MonitorBeyondGuestRamMebibytes);
    }

    [Fact]
    public void A_boot_timer_not_reached_is_null_not_zero()
    {
        var figures = RunSummaryParser.Parse("[turnstone] engine soft; ran 9.00 s; boot timer not reached; 12 exits (port I/O 1, MMIO 2); 5 guest instructions (0.0 M/s); monitor RSS beyond guest RAM 30 MiB (managed heap 1 MiB)");

        Assert.NotNull(figures);
        Assert.Null(figures.BootTimerSeconds);
        Assert.Equal(5, figures.GuestInstructions);
    }

    [Theory]
    [InlineData("")]
    [InlineData("turnstone: cannot open /dev/kvm: it does not exist")]
    [InlineData("[turnstone] engine soft; ran 4.86 s; boot timer 4.71 s; 2779 exits")]
    public void A_log_without_a_whole_summary_gives_no_figures(string log)
    {
        Assert.Null(RunSummaryParser.Parse(log));
    }

    [Fact]
    public void Reads_the_firmwares_share_and_when_the_kernel_was_entered_on_a_BIOS_boot()
    {
        var figures = RunSummaryParser.Parse("[turnstone] engine soft; ran 3.40 s; boot timer not reached; 2779 exits (port I/O 1157, MMIO 1293); " +
                                             "30538779 guest instructions (9.0 M/s); bios 3.21 ms (412 calls); kernel entered after 0.412 s; " +
                                             "monitor RSS beyond guest RAM 72 MiB (managed heap 12 MiB)");

        Assert.NotNull(figures);
        Assert.Equal(3.21, figures.BiosMilliseconds);
        Assert.Equal(412, figures.BiosCalls);
        Assert.Equal(0.412, figures.KernelEnteredSeconds);
        Assert.Equal(30538779, figures.GuestInstructions);
        Assert.Equal(72, figures.MonitorBeyondGuestRamMebibytes);
    }

    [Fact]
    public void Reads_the_disk_transfers_part_of_the_firmwares_share()
    {
        var figures = RunSummaryParser.Parse("[turnstone] engine soft; ran 3.40 s; boot timer not reached; 2779 exits (port I/O 1157, MMIO 1293); " +
                                             "bios 18.73 ms (2091 calls; disk transfers 13.08 ms, 28.6 MiB); kernel entered after 1.289 s; " +
                                             "monitor RSS beyond guest RAM 72 MiB (managed heap 12 MiB)");

        Assert.NotNull(figures);
        Assert.Equal(18.73, figures.BiosMilliseconds);
        Assert.Equal(2091, figures.BiosCalls);
        Assert.Equal(13.08, figures.BiosDiskMilliseconds);
        Assert.Equal(28.6, figures.BiosDiskMebibytes);
        Assert.Equal(1.289, figures.KernelEnteredSeconds);
    }

    [Fact]
    public void A_BIOS_boot_on_KVM_has_the_firmwares_share_but_no_kernel_entry()
    {
        var figures = RunSummaryParser.Parse("[turnstone] engine kvm; ran 2.00 s; boot timer not reached; 90 exits (port I/O 80, MMIO 10, emulated instructions 0, debug 0); " +
                                             "bios 1.5 ms (1 call); monitor RSS beyond guest RAM 30 MiB (managed heap 1 MiB)");

        Assert.NotNull(figures);
        Assert.Equal(1.5, figures.BiosMilliseconds);
        Assert.Equal(1, figures.BiosCalls);
        Assert.Null(figures.KernelEnteredSeconds);
    }

    [Fact]
    public void Summaries_without_the_BIOS_fields_still_parse_with_those_figures_null()
    {
        foreach (string log in new[] { SoftwareLog, KvmLog })
        {
            var figures = RunSummaryParser.Parse(log);

            Assert.NotNull(figures);
            Assert.Null(figures.BiosMilliseconds);
            Assert.Null(figures.BiosCalls);
            Assert.Null(figures.KernelEnteredSeconds);
        }
    }
}
