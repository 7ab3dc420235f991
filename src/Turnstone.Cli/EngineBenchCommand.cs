using System.CommandLine;
using Turnstone.Bench;
using Turnstone.Bench.Engine;
using Turnstone.Components;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Cli;

/// <summary>
/// <c>turnstone bench engine</c>: the software engine's guest instructions per second next to
/// native C and QEMU TCG, and component calls on the software engine next to KVM, in one run.
/// </summary>
internal static class EngineBenchCommand
{
    public static Command Create()
    {
        var engine = new Option<EngineBenchSelection>("--engine") { Description = "auto: both where KVM is usable, else soft; kvm: component rows on KVM alone; soft; both", DefaultValueFactory = _ => EngineBenchSelection.Auto };
        var components = new Option<string?>("--components") { Description = "directory with checksum.elf and crc32_host (default, in a checkout: built by images/build-guest.sh components); 'none' skips the CRC-32 and component rows" };
        var qemu = new Option<string?>("--qemu") { Description = "qemu-system-x86_64 for the TCG column (default: the one on PATH; 'none' to skip)" };
        var iterations = new Option<long>("--iterations") { Description = "integer loop iterations (8 guest instructions each)", DefaultValueFactory = _ => 20_000_000 };
        var passes = new Option<long>("--memory-passes") { Description = $"memory loop passes ({LoopGuest.MemoryElements} elements, 6 guest instructions each)", DefaultValueFactory = _ => 8 };
        var crc = new Option<int>("--crc-mib") { Description = "MiB of CRC-32 work in the component", DefaultValueFactory = _ => 32 };
        var lifecycles = new Option<int>("--lifecycles") { Description = "create+call+destroy repetitions per engine", DefaultValueFactory = _ => 200 };
        var calls = new Option<int>("--calls") { Description = "warm calls per engine", DefaultValueFactory = _ => 20_000 };
        var repeats = new Option<int>("--repeats") { Description = "runs of each loop per column; the best counts", DefaultValueFactory = _ => 3 };
        var output = new Option<string>("--output") { Description = "directory for engine-bench.json", DefaultValueFactory = _ => "." };
        var command = new Command("engine",
            "The software engine: guest instructions per second on an integer loop, a memory-bound loop and the CRC-32 component next to the same work in C (gcc -O2) and " +
            "under QEMU TCG, and component create+call+destroy and warm calls next to KVM's, measured in the same run")
        {
            engine, components, qemu, iterations, passes, crc, lifecycles, calls, repeats, output,
        };
        command.SetAction(result =>
        {
            if (result.GetValue(iterations) < 1 || result.GetValue(passes) < 1 || result.GetValue(crc) < 1 || result.GetValue(lifecycles) < 1 ||
                result.GetValue(calls) < 1 || result.GetValue(repeats) < 1)
            {
                return RunCommand.Fail("--iterations, --memory-passes, --crc-mib, --lifecycles, --calls and --repeats must be at least 1");
            }
            var kvm = KvmSystem.Probe();
            var engines = EngineBenchEngines.Resolve(result.GetValue(engine), kvm.IsUsable, kvm.Reason, out string? error);
            if (engines is null)
            {
                return RunCommand.Fail(error!);
            }
            Console.Error.WriteLine($"engines: {engines.Reason}");
            try
            {
                string? directory = result.GetValue(components) switch
                {
                    "none" => null,
                    { } given => given,
                    null => GuestRecipe.Build("components", "COMPONENTS_DIR", "--components"),
                };
                string? qemuGiven = result.GetValue(qemu);
                string? qemuPath = engines.Software ? VirtioBlockBenchCommand.ResolveQemu(qemuGiven) : null;
                string missing = qemuGiven == "none" ? "skipped: --qemu none" : "not found: no qemu-system-x86_64 on PATH (install qemu-system-x86 or give --qemu)";
                var options = new EngineBenchOptions(engines, directory, qemuPath, missing, result.GetValue(iterations), result.GetValue(passes),
                    (long)result.GetValue(crc) << 20, result.GetValue(lifecycles), result.GetValue(calls), result.GetValue(repeats));
                var measured = EngineBenchmark.Run(options, message => Console.Error.WriteLine($"measuring {message}..."));
                string outputDirectory = result.GetValue(output)!;
                Directory.CreateDirectory(outputDirectory);
                string json = Path.Combine(outputDirectory, "engine-bench.json");
                File.WriteAllText(json, EngineBenchReport.Json(measured));
                Console.WriteLine(EngineBenchReport.Table(measured));
                Console.WriteLine($"(raw results: {json})");
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or IOException or Hypervisor.KvmException or ComponentFaultException or ComponentImageException)
            {
                return RunCommand.Fail(e.Message);
            }
        });
        return command;
    }
}
