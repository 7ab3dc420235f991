using Turnstone.Bench.Engine;

namespace Turnstone.IntegrationTests;

/// <summary>
/// A short <c>bench engine</c> measurement on the software engine (no KVM needed, so a plain fact):
/// every figure positive, the loops' instruction counts exact, the CRC-32 call counted by the CPU.
/// QEMU's column is measured when qemu-system-x86_64 is on PATH.
/// </summary>
[Trait("Category", "Integration")]
public sealed class EngineBenchTests
{
    [Fact]
    public void A_short_software_engine_run_gives_sane_figures()
    {
        string? qemu = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "qemu-system-x86_64")).FirstOrDefault(File.Exists);
        string components = Path.GetDirectoryName(GuestImages.Component("checksum"))!;
        var options = new EngineBenchOptions(new EngineBenchEngines(true, false, "test"), components, qemu, "not found",
            IntegerIterations: 2_000_000, MemoryPasses: 1, CrcBytes: 2 << 20, Lifecycles: 20, WarmCalls: 1000, Repeats: 1);

        var result = EngineBenchmark.Run(options, _ => { });

        Assert.Equal(3, result.InstructionRates.Count);
        var integer = result.InstructionRates[0];
        Assert.Equal(LoopGuest.LoopInstructionsFor(GuestLoopKind.Integer, 2_000_000), integer.GuestInstructions);
        Assert.Equal(LoopGuest.LoopInstructionsFor(GuestLoopKind.Memory, 1), result.InstructionRates[1].GuestInstructions);
        var crc = result.InstructionRates[2];
        Assert.InRange(crc.GuestInstructions, 2L << 20, 64L << 20); // a few instructions per byte
        foreach (var row in result.InstructionRates)
        {
            Assert.True(row.SoftwareSeconds > 0 && row.SoftwareInstructionsPerSecond > 0, row.Workload);
            Assert.True(row.NativeSeconds > 0, row.Workload);
            Assert.True(row.QemuSeconds is null ? row.QemuNote is not null : row.QemuSeconds > 0, row.Workload);
        }
        if (qemu is not null)
        {
            Assert.True(result.InstructionRates[1].QemuSeconds is not null || result.InstructionRates[1].QemuNote!.StartsWith("below noise"));
        }
        Assert.All(result.ComponentCalls, row =>
        {
            Assert.True(row.SoftwareMicroseconds > 0, row.Measurement);
            Assert.Null(row.KvmMicroseconds);
        });
    }
}
