using System.CommandLine;
using Turnstone.Cli.Bench;
using Turnstone.Machine.Benchmarks;

namespace Turnstone.Cli;

/// <summary><c>turnstone bench</c>: our figures next to baselines measured in the same run.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var iterations = new Option<long>("--iterations") { Description = "guest port writes per measurement", DefaultValueFactory = _ => 200_000 };
        var exits = new Command("exits", "PIO exit round trip of the monitor against the C floor (kvm_floor.c), target within 1.15x")
        {
            iterations,
        };
        exits.SetAction(result => Exits(result.GetValue(iterations)));
        return new Command("bench", "Measure the monitor against baselines taken in the same run") { exits };
    }

    private static int Exits(long iterations)
    {
        if (iterations < 1000)
        {
            return RunCommand.Fail("--iterations must be at least 1000");
        }
        try
        {
            Console.Error.WriteLine($"warming up, then {iterations} guest port writes each for Turnstone and the C floor...");
            PioExitBenchmark.MeasureMicrosecondsPerExit(Math.Min(iterations, 20_000));
            double ours = PioExitBenchmark.MeasureMicrosecondsPerExit(iterations);
            var floor = CFloor.Run(iterations);
            double ratio = ours / floor.PioMicroseconds;
            Console.WriteLine($"{"measurement",-28} {"Turnstone",12} {"C floor",12} {"ratio",8} {"target",8}");
            Console.WriteLine($"{"PIO exit round trip (us)",-28} {ours,12:F2} {floor.PioMicroseconds,12:F2} {ratio,8:F3} {"<=1.15",8}");
            Console.WriteLine($"(C floor, same run: MMIO exit {floor.MmioMicroseconds:F2} us, ioeventfd write {floor.IoeventfdMicroseconds:F2} us, " +
                              $"VM create+first exit+destroy {floor.VmLifecycleMicroseconds:F1} us)");
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or Hypervisor.KvmException)
        {
            return RunCommand.Fail(e.Message);
        }
    }
}
