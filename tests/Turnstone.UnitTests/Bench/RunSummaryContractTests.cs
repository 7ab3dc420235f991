using Turnstone.Bench.Boot;
using Turnstone.Engine;
using Turnstone.Machine;

namespace Turnstone.UnitTests.Bench;

/// <summary>The run summary the machine prints and the parser the benchmarks read it with agree,
/// BIOS figures included (they live in two projects, so a format change must break a test).</summary>
public sealed class RunSummaryContractTests
{
    [Fact]
    public void A_bios_boot_summary_parses_back_to_its_figures()
    {
        var summary = new MachineRunSummary(TimeSpan.FromSeconds(3.5), null, null, new Dictionary<Iced.Intel.Mnemonic, long>(),
            0, 0, 50L << 20, 10L << 20, [])
        {
            Engine = EngineKind.Software,
            InstructionsRetired = 123_456,
            Bios = new Turnstone.Machine.Bios.BiosRunFigures(TimeSpan.FromMilliseconds(3.21), 412, TimeSpan.FromMilliseconds(1.75), 2_432_000),
            KernelEntered = TimeSpan.FromSeconds(0.412),
        };

        var figures = RunSummaryParser.Parse(summary.ToString());

        Assert.NotNull(figures);
        Assert.Equal("soft", figures.Engine);
        Assert.Equal(3.21, figures.BiosMilliseconds);
        Assert.Equal(412, figures.BiosCalls);
        Assert.Equal(1.75, figures.BiosDiskMilliseconds);
        Assert.Equal(2.3, figures.BiosDiskMebibytes); // 2,432,000 bytes, to a tenth of a MiB
        Assert.Equal(0.412, figures.KernelEnteredSeconds);
        Assert.Equal(123_456, figures.GuestInstructions);
    }

    [Fact]
    public void A_direct_kernel_boot_summary_has_no_bios_figures()
    {
        var summary = new MachineRunSummary(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(0.9), null,
            new Dictionary<Iced.Intel.Mnemonic, long>(), 0, 0, 40L << 20, 8L << 20, []) { Engine = EngineKind.Software };

        var figures = RunSummaryParser.Parse(summary.ToString());

        Assert.NotNull(figures);
        Assert.Null(figures.BiosMilliseconds);
        Assert.Null(figures.KernelEnteredSeconds);
    }
}
