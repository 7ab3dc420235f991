using System.CommandLine;
using Turnstone.Bench;
using Turnstone.Components;

namespace Turnstone.Cli;

/// <summary><c>turnstone bench</c>: our figures next to baselines measured in the same run.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var iterations = new Option<long>("--iterations") { Description = "guest port writes per measurement", DefaultValueFactory = _ => 200_000 };
        var engine = BenchEngineOption.Create("KVM only: this measures KVM's exits");
        var exits = new Command("exits", "PIO exit round trip of the monitor against the C floor (kvm_floor.c), target within 1.15x")
        {
            iterations, engine,
        };
        exits.SetAction(result =>
        {
            if (BenchEngineOption.Parse(result.GetValue(engine)!) is not { } choice)
            {
                return 1;
            }
            if (BenchEngineOption.RefuseUnlessKvm(choice, "exits", "the software engine has no exits to the monitor to time; its figures are in 'turnstone bench engine'") is { } refusal)
            {
                return RunCommand.Fail(refusal);
            }
            return Exits(result.GetValue(iterations));
        });
        return new Command("bench", "Measure the monitor against baselines taken in the same run") { exits, CreateComponents(), VirtioBlockBenchCommand.Create(), EngineBenchCommand.Create(), BootBenchCommand.Create(), BiosBenchCommand.Create() };
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

    private static Command CreateComponents()
    {
        var directory = new Option<string>("--components")
        {
            Description = "directory with checksum.elf and crc32_host (images/build-guest.sh components prints it)",
            Required = true,
        };
        var lifecycles = new Option<int>("--lifecycles") { Description = "create+call+destroy repetitions", DefaultValueFactory = _ => 200 };
        var calls = new Option<int>("--calls") { Description = "warm calls per measurement", DefaultValueFactory = _ => 50_000 };
        var crc = new Option<int>("--crc-mib") { Description = "MiB of CRC-32 work for the throughput comparison", DefaultValueFactory = _ => 1024 };
        var engine = BenchEngineOption.Create("KVM only: the baselines are KVM's C floor");
        var command = new Command("components", "Component VMs against the C floor (kvm_floor.c) and host C code, measured in the same run")
        {
            directory, lifecycles, calls, crc, engine,
        };
        command.SetAction(result =>
        {
            if (BenchEngineOption.Parse(result.GetValue(engine)!) is not { } choice)
            {
                return 1;
            }
            if (BenchEngineOption.RefuseUnlessKvm(choice, "components",
                    "component calls and CRC-32 throughput on the software engine, next to KVM's, are in 'turnstone bench engine'") is { } refusal)
            {
                return RunCommand.Fail(refusal);
            }
            return Components(result.GetValue(directory)!, result.GetValue(lifecycles), result.GetValue(calls), result.GetValue(crc));
        });
        return command;
    }

    private static int Components(string directory, int lifecycles, int calls, int crcMebibytes)
    {
        if (lifecycles < 10 || calls < 1000 || crcMebibytes < 16)
        {
            return RunCommand.Fail("--lifecycles must be at least 10, --calls at least 1000, --crc-mib at least 16");
        }
        try
        {
            var ours = ComponentBenchmark.MeasureAsync(directory, lifecycles, calls, (long)crcMebibytes << 20, message => Console.Error.WriteLine($"measuring {message}..."))
                .GetAwaiter().GetResult();
            Console.Error.WriteLine("measuring the C floor...");
            var floor = CFloor.Run(200_000);
            Console.WriteLine($"{"measurement",-40} {"Turnstone",11} {"baseline",11} {"ratio",7} {"target",8}  baseline");
            Row("create+call+destroy, checksum (us)", ours.CreateCallDestroyMicroseconds, floor.VmLifecycleMicroseconds, "<=2.0", "C floor: VM create+first exit+destroy");
            Row("  the same, fresh KVM VM each time (us)", ours.CreateCallDestroyFreshVmMicroseconds, floor.VmLifecycleMicroseconds, "-", "C floor: VM create+first exit+destroy");
            Row("warm call round trip (us)", ours.WarmCallMicroseconds, floor.PioMicroseconds, "<=1.3", "C floor: PIO exit round trip");
            Row("warm call with snapshot restore (us)", ours.WarmCallWithRestoreMicroseconds, floor.PioMicroseconds, "-", "C floor: PIO exit round trip");
            Row("CRC-32 throughput (MB/s)", ours.GuestCrcMegabytesPerSecond, ours.HostCrcMegabytesPerSecond, ">=0.95", "the same C code on the host (crc32_host)");
            Console.WriteLine($"(create reuses a wiped VM from the runtime when one is idle, as a loop of create+destroy always finds; the fresh row pays KVM's VM creation and destruction. " +
                              $"Each call passes {ComponentBenchmark.CallInputBytes} bytes and returns 4; the restore copied back {ours.PagesRestoredPerCall} pages per call; " +
                              $"Hyperlight's published create+call+teardown is about 900 us: ours is {ours.CreateCallDestroyMicroseconds:F0} us. Hyperlight itself does not run here.)");
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or Hypervisor.KvmException or ComponentFaultException or ComponentImageException)
        {
            return RunCommand.Fail(e.Message);
        }
    }

    private static void Row(string what, double ours, double baseline, string target, string baselineName) =>
        Console.WriteLine($"{what,-40} {ours,11:F2} {baseline,11:F2} {ours / baseline,7:F3} {target,8}  {baselineName}");
}
