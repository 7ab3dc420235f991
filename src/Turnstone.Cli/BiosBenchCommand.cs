using System.CommandLine;
using Turnstone.Bench;
using Turnstone.Bench.Bios;
using Turnstone.Bench.Boot;
using Turnstone.Hypervisor.Kvm;
using Turnstone.Hypervisor.Quirks;

namespace Turnstone.Cli;

/// <summary>
/// <c>turnstone bench bios</c>: the BIOS disk images booted by <c>turnstone run --disk</c> (no
/// kernel: our BIOS boots the disk), next to QEMU + SeaBIOS booting copies of the same images in
/// the same run.
/// </summary>
internal static class BiosBenchCommand
{
    private static readonly (string Name, string Key)[] DefaultImages =
    [
        (BiosBenchImage.GrubMbr, "GRUB_MBR_DISK"),
        (BiosBenchImage.SyslinuxFat, "SYSLINUX_FAT_DISK"),
        (BiosBenchImage.GptCloud, "GPT_CLOUD_DISK"),
    ];

    public static Command Create()
    {
        var imageOptions = DefaultImages.Select(image => new Option<string?>($"--{image.Name}")
        {
            Description = $"the {image.Name} disk image ({image.Key}; default, in a checkout: images/build-guest.sh {image.Name}); 'none' leaves it out",
        }).ToList();
        var debian12 = new Option<string?>("--debian12")
        {
            Description = "also boot Debian 12 (DEBIAN12_DISK) to its login prompt: --debian12 alone builds it with images/build-guest.sh debian12 (root, network, " +
                          "minutes), --debian12 PATH uses that image; left out otherwise, its build and boot being slow",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var engine = new Option<BootBenchSelection>("--engine")
        {
            Description = "auto: the software engine, and KVM too where /dev/kvm can be opened and is not a nested PVM host (which runs no real-mode code); soft; kvm; both",
            DefaultValueFactory = _ => BootBenchSelection.Auto,
        };
        var qemu = new Option<string?>("--qemu") { Description = "qemu-system-x86_64 for the QEMU + SeaBIOS column (default: the one on PATH; 'none' to skip)" };
        var repeats = new Option<int>("--repeats") { Description = "boots of each image per engine, and as many of QEMU's; the table gives median and range", DefaultValueFactory = _ => 3 };
        var timeout = new Option<int>("--timeout") { Description = "seconds one boot may take before it is killed and reported as failed", DefaultValueFactory = _ => 600 };
        var scratch = new Option<string?>("--scratch") { Description = "directory for the per-boot copies of the images (default: the system's temporary directory); each is deleted after its boot" };
        var output = new Option<string>("--output") { Description = "directory for bios-bench.json and bios-bench.svg", DefaultValueFactory = _ => "." };
        var command = new Command("bios",
            "Disk images booted through the BIOS: turnstone run --disk IMAGE (no --kernel) next to qemu-system-x86_64 -M q35 -m 512M with SeaBIOS booting the same image " +
            "on virtio-blk, in the same run (child processes taking turns, each on a fresh sparse copy of the image). Images: grub-mbr, syslinux-fat, gpt-cloud " +
            "(images/build-guest.sh all) and, with --debian12, Debian 12. Columns: " + BiosBenchReport.ColumnsExplained);
        foreach (var option in imageOptions)
        {
            command.Options.Add(option);
        }
        foreach (var option in new Option[] { debian12, engine, qemu, repeats, timeout, scratch, output })
        {
            command.Options.Add(option);
        }
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
                var images = new List<BiosBenchImage>();
                foreach (var (option, (name, key)) in imageOptions.Zip(DefaultImages))
                {
                    string? path = result.GetValue(option) ?? Default(name, key, option.Name);
                    if (path is null || path == BootBenchInputs.None)
                    {
                        continue;
                    }
                    if (BootBenchInputs.MissingFile(option.Name, path) is { } missing)
                    {
                        return RunCommand.Fail(missing);
                    }
                    images.Add(BiosBenchImage.For(name, Path.GetFullPath(path)));
                }
                if (result.GetResult(debian12) is not null)
                {
                    string? path = result.GetValue(debian12) ?? Default(BiosBenchImage.Debian12, "DEBIAN12_DISK", debian12.Name);
                    if (BootBenchInputs.MissingFile(debian12.Name, path) is { } missing)
                    {
                        return RunCommand.Fail(missing);
                    }
                    images.Add(BiosBenchImage.For(BiosBenchImage.Debian12, Path.GetFullPath(path!)));
                }
                var kvm = KvmSystem.Probe();
                bool nested = kvm.IsUsable && HostQuirks.Detect().EmulatesGuestKernelCode;
                var plan = BiosBenchPlan.Resolve(result.GetValue(engine), images, kvm.IsUsable, kvm.Reason, nested, out string? planError);
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
                    Console.Error.WriteLine($"QEMU + SeaBIOS column {qemuMissing}");
                }
                var options = new BiosBenchOptions(plan, BootBenchCommand.OwnCommand(), qemuPath, qemuMissing, result.GetValue(repeats),
                    TimeSpan.FromSeconds(result.GetValue(timeout)), result.GetValue(scratch), BootProcessRunner.Run);
                var measured = BiosBenchmark.Run(options, Console.Error.WriteLine);
                BenchResultFiles.Write(result.GetValue(output)!, "bios-bench", BiosBenchReport.Json(measured), BiosBenchPlot.Draw(measured),
                    BiosBenchReport.Table(measured));
                return measured.Rows.Any(row => row.TurnstoneProblem is not null) ? 1 : 0;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
            {
                return RunCommand.Fail(e.Message);
            }
        });
        return command;
    }

    /// <summary>What the checkout's recipe builds for <paramref name="target"/> (null outside a checkout).</summary>
    private static string? Default(string target, string key, string option) =>
        GuestRecipe.Find() is null ? null : GuestRecipe.Build(target, key, option);
}
