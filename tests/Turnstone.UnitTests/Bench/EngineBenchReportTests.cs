using System.Text.Json;
using Turnstone.Bench.Engine;

namespace Turnstone.UnitTests.Bench;

public sealed class EngineBenchReportTests
{
    private static EngineBenchResult Result(params InstructionRateRow[] rates) =>
        new("2 cores, test CPU", "load average 0.00 0.00 0.00 on 2 cores", "--engine soft", "the method",
            new DateTimeOffset(2026, 12, 6, 8, 0, 0, TimeSpan.Zero), rates,
            [new ComponentCallRow("warm call round trip (us)", 4.5, null, "soft < 2")]);

    [Fact]
    public void Rates_are_the_exact_count_over_each_columns_time()
    {
        var row = new InstructionRateRow("integer loop", 200_000_000, 2.0, 0.02, null, 0.25, null);

        Assert.Equal(100e6, row.SoftwareInstructionsPerSecond);
        Assert.Equal(10e9, row.NativeInstructionsPerSecond);
        Assert.Equal(800e6, row.QemuInstructionsPerSecond);
        Assert.Equal(100, row.SlowdownAgainstNative);
        Assert.Equal(8, row.SlowdownAgainstQemu);
    }

    [Fact]
    public void The_table_puts_the_columns_side_by_side_and_says_why_one_is_missing()
    {
        string table = EngineBenchReport.Table(Result(
            new InstructionRateRow("integer loop", 200_000_000, 2.0, 0.02, null, 0.25, null),
            new InstructionRateRow("memory loop", 60_000_000, 0.5, 0.01, null, null, "not found: no qemu-system-x86_64 on PATH")));

        string[] lines = table.Split('\n');
        Assert.Equal("workload      guest instr  soft M/s  native M/s  QEMU TCG M/s  soft/native  soft/QEMU", lines[0]);
        Assert.Equal("integer loop  200,000,000     100.0     10000.0         800.0         100x      8.00x", lines[1]);
        Assert.Equal("memory loop    60,000,000     120.0      6000.0     not found          50x          -", lines[2]);
        Assert.Contains("QEMU, memory loop: not found: no qemu-system-x86_64 on PATH", table);
        Assert.Contains("warm call round trip (us)  4.50    -         -  soft < 2", table);
        Assert.Contains("load average 0.00 0.00 0.00 on 2 cores", table);
    }

    [Fact]
    public void The_JSON_holds_every_figure()
    {
        var result = Result(new InstructionRateRow("integer loop", 200_000_000, 2.0, 0.02, null, null, "skipped: --qemu none"));

        using var json = JsonDocument.Parse(EngineBenchReport.Json(result));
        var rate = json.RootElement.GetProperty("instructionRates")[0];
        Assert.Equal(200_000_000, rate.GetProperty("guestInstructions").GetInt64());
        Assert.Equal(100e6, rate.GetProperty("softwareInstructionsPerSecond").GetDouble());
        Assert.Equal(JsonValueKind.Null, rate.GetProperty("qemuSeconds").ValueKind);
        Assert.Equal("skipped: --qemu none", rate.GetProperty("qemuNote").GetString());
        Assert.Equal(4.5, json.RootElement.GetProperty("componentCalls")[0].GetProperty("softwareMicroseconds").GetDouble());
        Assert.Equal("load average 0.00 0.00 0.00 on 2 cores", json.RootElement.GetProperty("hostLoad").GetString());
    }
}
