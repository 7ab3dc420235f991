using System.CommandLine;
using Turnstone.Bench;
using Turnstone.Bench.Boot;
using Turnstone.Hypervisor.Kvm;
using Turnstone.Hypervisor.Quirks;

namespace Turnstone.Cli;

/// <summary>
/// <c>turnstone bench boot</c>: time to init for the minimal kernel and Debian's cloud kernel under
/// <c>turnstone run</c>, next to QEMU TCG booting the same kernel and initramfs in the same run.
/// </summary>
internal static class BootBenchCommand
{
    public static Command Create()
    {
        var minimal = new Option<string?>("--minimal-kernel") { Description = "the minimal kernel (MINIMAL_KERNEL; default, in a checkout: built by images/build-guest.sh minimal); 'none' leaves it out" };
        var cloud = new Option<string?>("--cloud-kernel") { Description = "Debian's cloud kernel (CLOUD_KERNEL; default, in a checkout: images/build-guest.sh cloud); 'none' leaves it out" };
        var initramfs = new Option<string?>("--initramfs") { Description = "the test initramfs, whose /init prints the marker both runs are timed to (INITRAMFS; default, in a checkout: images/build-guest.sh initramfs)" };
        var engine = new Option<BootBenchSelection>("--engine")
        {
            Description = "auto: the software engine, and KVM too where /dev/kvm can be opened (on a nested PVM host: the minimal kernel only, minutes a boot); soft: skip KVM; kvm; both",
            DefaultValueFactory = _ => BootBenchSelection.Auto,
        };
        var qemu = new Option<string?>("--qemu") { Description = "qemu-system-x86_64 for the QEMU TCG column (default: the one on PATH; 'none' to skip)" };
        var repeats = new Option<int>("--repeats") { Description = "boots of each kernel per engine, and as many of QEMU's; the table gives median and range", DefaultValueFactory = _ => 3 };
        var timeout = new Option<int>("--timeout") { Description = "seconds one boot may take before it is killed and reported as failed", DefaultValueFactory = _ => 600 };
        var output = new Option<string>("--output") { Description = "directory for boot-bench.json and boot-bench.svg", DefaultValueFactory = _ => "." };
        var command = new Command("boot",
            "Time to init for the minimal kernel and Debian's cloud kernel under turnstone run, next to qemu-system-x86_64 -accel tcg -M q35 booting the same kernel and " +
            "initramfs in the same run (both -m 512M, child processes taking turns); with the software engine's guest instructions per second and the monitor's memory beyond guest RAM")
        {
            minimal, cloud, initramfs, engine, qemu, repeats, timeout, output,
        };
        command.SetAction(result =>
        {
            if (BootBenchInputs.CheckCounts(result.GetValue(repeats), result.GetValue(timeout)) is { } countError)
            {
                return RunCommand.Fail(countError);
            }
            string? qemuPath = BootBenchInputs.Qemu(result.GetValue(qemu), Environment.GetEnvironmentVariable("PATH"), out string qemuMissing, out string? qemuError);
            if (qemuError is not null)
            {
                return RunCommand.Fail(qemuError);
            }
            try
            {
                var kernels = BootBenchInputs.Kernels(Default(result.GetValue(minimal), "minimal", "MINIMAL_KERNEL", "--minimal-kernel"),
                    Default(result.GetValue(cloud), "cloud", "CLOUD_KERNEL", "--cloud-kernel"), out string? kernelError);
                if (kernels is null)
                {
                    return RunCommand.Fail(kernelError!);
                }
                string? initrd = Default(result.GetValue(initramfs), "initramfs", "INITRAMFS", "--initramfs");
                if (BootBenchInputs.MissingFile("--initramfs", initrd) is { } initrdError)
                {
                    return RunCommand.Fail(initrdError);
                }
                var kvm = KvmSystem.Probe();
                bool nested = kvm.IsUsable && HostQuirks.Detect().EmulatesGuestKernelCode;
                var plan = BootBenchPlan.Resolve(result.GetValue(engine), kernels, kvm.IsUsable, kvm.Reason, nested, out string? planError);
                if (plan is null)
                {
                    return RunCommand.Fail(planError!);
                }
                foreach (string note in plan.Notes)
                {
                    Console.Error.WriteLine(note);
                }
                if (qemuPath is null)
                {
                    Console.Error.WriteLine($"QEMU TCG column {qemuMissing}");
                }
                var options = new BootBenchOptions(plan, Path.GetFullPath(initrd!), OwnCommand(), qemuPath, qemuMissing, result.GetValue(repeats),
                    TimeSpan.FromSeconds(result.GetValue(timeout)));
                var measured = BootBenchmark.Run(options, Console.Error.WriteLine);
                BenchResultFiles.Write(result.GetValue(output)!, "boot-bench", BootBenchReport.Json(measured), BootBenchPlot.Draw(measured),
                    BootBenchReport.Table(measured));
                return measured.Rows.Any(row => row.TurnstoneProblem is not null) ? 1 : 0;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
            {
                return RunCommand.Fail(e.Message);
            }
        });
        return command;
    }

    /// <summary>The option's value; when not given, what the checkout's recipe builds (null outside a checkout).</summary>
    private static string? Default(string? given, string target, string key, string option) =>
        given ?? (GuestRecipe.Find() is null ? null : GuestRecipe.Build(target, key, option));

    /// <summary>How to start this same CLI as a child: its executable, plus its assembly when that
    /// executable is the dotnet host (<c>dotnet turnstone.dll</c>).</summary>
    internal static IReadOnlyList<string> OwnCommand()
    {
        string process = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which executable this process is, to run turnstone run as a child");
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? [process, Path.Combine(AppContext.BaseDirectory, "turnstone.dll")]
            : [process];
    }
}
