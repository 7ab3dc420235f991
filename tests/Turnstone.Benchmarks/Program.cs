using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Turnstone.Bench;
using Turnstone.Benchmarks;
using Turnstone.Hypervisor.Kvm;

// The C floor runs first, in this process's run, so every ratio compares figures taken together.
// It needs KVM; without it the device-model and software-CPU benchmarks still run, with no ratio.
var kvm = KvmSystem.Probe();
CFloor.Figures? floor = null;
if (kvm.IsUsable)
{
    Console.Error.WriteLine("measuring the C floor (kvm_floor.c)...");
    floor = CFloor.Run(200_000);
}
else
{
    Console.Error.WriteLine($"no C floor and no KVM benchmarks on this host: {kvm.Reason}");
}
// In-process: the benchmarks need the sample components (and /dev/kvm for some), not a generated project.
var config = DefaultConfig.Instance
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
    .AddColumn(new CFloorRatioColumn(floor))
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkSwitcher.FromAssembly(typeof(ComponentBenchmarks).Assembly).Run(args, config);
