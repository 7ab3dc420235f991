using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Turnstone.Bench;
using Turnstone.Benchmarks;

// The C floor runs first, in this process's run, so every ratio compares figures taken together.
Console.Error.WriteLine("measuring the C floor (kvm_floor.c)...");
var floor = CFloor.Run(200_000);
// In-process: the benchmarks need /dev/kvm and the sample components, not a generated project.
var config = DefaultConfig.Instance
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
    .AddColumn(new CFloorRatioColumn(floor))
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkSwitcher.FromAssembly(typeof(ComponentBenchmarks).Assembly).Run(args, config);
