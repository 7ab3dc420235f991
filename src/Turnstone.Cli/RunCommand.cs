using System.CommandLine;
using System.Runtime.InteropServices;
using Turnstone.Firmware;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.Components;
using Turnstone.Engine;
using Turnstone.Hypervisor;
using Turnstone.Hypervisor.Kvm;
using Turnstone.Machine;
using Turnstone.Machine.Engines;
using Turnstone.Machine.Terminal;

namespace Turnstone.Cli;

/// <summary><c>turnstone run</c>: boot a Linux kernel (or a PVH ELF) with the guest console on this terminal.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var kernel = new Option<string>("--kernel")
        {
            Description = "Linux kernel (bzImage or vmlinux ELF), or an ELF with a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); without it the BIOS boots the first --disk",
        };
        var firmware = new Option<string>("--firmware")
        {
            Description = "what starts the guest: auto (the Linux boot protocol with --kernel, the BIOS without), bios (a legacy BIOS boots the first --disk's MBR as drive 80h; conflicts with --kernel), uefi (not implemented yet)",
            DefaultValueFactory = _ => "auto",
        };
        var initrd = new Option<string?>("--initrd") { Description = "initial ramdisk (cpio, optionally compressed)" };
        var cmdline = new Option<string?>("--cmdline")
        {
            Description = $"kernel command line (default on KVM: \"{MachineConfig.DefaultCommandLine}\"; on the software engine: \"{MachineConfig.SoftwareEngineCommandLine}\")",
        };
        var disks = new Option<string[]>("--disk")
        {
            Description = "raw disk image as a virtio-blk device: PATH[,readonly][,direct][,sync] (direct: O_DIRECT, no host page cache; sync: one request at a time instead of many in flight on io_uring); repeat for more (the first is /dev/vda)",
            AllowMultipleArgumentsPerToken = false,
        };
        var memory = new Option<string>("--memory") { Description = "guest RAM, e.g. 512M or 2G", DefaultValueFactory = _ => "512M" };
        var cpus = new Option<int>("--cpus") { Description = "number of vCPUs", DefaultValueFactory = _ => 1 };
        var guestDecompress = new Option<bool>("--guest-decompress")
        {
            Description = "let the guest decompress a bzImage itself instead of decompressing LZ4/gzip payloads on the host",
        };
        var boot = new Option<BootProtocol>("--boot")
        {
            Description = "how to enter an ELF kernel: auto (PVH for a non-Linux ELF with the PVH note), linux (64-bit entry), pvh",
            DefaultValueFactory = _ => BootProtocol.Auto,
        };
        var quiet = new Option<bool>("--quiet") { Description = "print only the guest's console, no monitor messages" };
        var engine = new Option<string>("--engine")
        {
            Description = "what runs the guest: kvm, soft (the software engine) or auto: KVM when /dev/kvm can be opened, else soft; Linux also goes to soft where KVM is a nested PVM host that emulates guest kernel code (about 30 times slower there)",
            DefaultValueFactory = _ => "auto",
        };
        var command = new Command("run", "Boot a Linux kernel, or a disk image through the BIOS (--disk IMAGE without --kernel); the guest consoles (COM1 and virtio-console hvc0) are this terminal (stdout, and stdin typed into the guest's console, also from a pipe or file). Exit status: 0 after a guest power-off or reset, 2 after a triple fault, 130 when interrupted (Ctrl-C, SIGINT), 143 when terminated (SIGTERM), 1 on errors.")
        {
            kernel, initrd, cmdline, disks, memory, cpus, guestDecompress, boot, quiet, engine, firmware,
        };
        command.SetAction(result =>
        {
            if (!ExecutionEngines.TryParse(result.GetValue(engine)!, out var engineChoice))
            {
                return Fail($"--engine: '{result.GetValue(engine)}' is not one of auto, kvm, soft");
            }
            FirmwareChoice? firmwareChoice = result.GetValue(firmware) switch
            {
                "auto" => FirmwareChoice.Auto,
                "bios" => FirmwareChoice.Bios,
                "uefi" => FirmwareChoice.Uefi,
                _ => null,
            };
            if (firmwareChoice is null)
            {
                return Fail($"--firmware: '{result.GetValue(firmware)}' is not one of auto, bios, uefi");
            }
            if (!MemorySize.TryParse(result.GetValue(memory)!, out ulong bytes, out string? sizeError))
            {
                return Fail($"--memory: {sizeError}");
            }
            List<DiskConfig> diskConfigs;
            try
            {
                diskConfigs = (result.GetValue(disks) ?? []).Select(DiskConfig.Parse).ToList();
            }
            catch (ArgumentException e)
            {
                return Fail(e.Message);
            }
            var log = result.GetValue(quiet) ? null : Console.Error;
            var config = new MachineConfig
            {
                KernelPath = result.GetValue(kernel),
                Firmware = firmwareChoice.Value,
                InitrdPath = result.GetValue(initrd),
                CommandLine = result.GetValue(cmdline),
                Disks = diskConfigs,
                MemoryBytes = bytes,
                Cpus = result.GetValue(cpus),
                DecompressOnHost = !result.GetValue(guestDecompress),
                Boot = result.GetValue(boot),
                ConsoleOutput = HostStandardOutput.Open(),
                // A terminal's keystrokes, or what a pipe or file holds (typed as it comes, as QEMU's
                // -serial stdio does; at its end nothing more is typed and the guest runs on).
                ConsoleInput = Console.OpenStandardInput(),
                Log = log,
                Engine = engineChoice,
            };
            return Run(config, log);
        });
        return command;
    }

    /// <summary>True when <paramref name="args"/> are a <c>run</c> command line (read before the parser is built).</summary>
    public static bool IsRun(string[] args) => args.Length > 0 && args[0] == "run";

    /// <summary>
    /// True when <paramref name="args"/> are a <c>run</c> without <c>--kernel</c>: a BIOS boot (or a
    /// command line the parser will reject), known before the parser is built. A wrong guess only
    /// costs the pool threads' work of getting a BIOS ready.
    /// </summary>
    public static bool BootsThroughBios(string[] args) =>
        IsRun(args) && !args.Any(a => a == "--kernel" || a.StartsWith("--kernel=", StringComparison.Ordinal) || a.StartsWith("--kernel:", StringComparison.Ordinal));

    /// <summary>The --engine value in <paramref name="args"/> (auto when absent or not understood, which
    /// the parser then reports), read before the parser is built, as <see cref="BootsThroughBios"/>.</summary>
    public static EngineChoice EngineIn(string[] args)
    {
        for (int i = 1; i < args.Length; i++)
        {
            string? value = args[i] == "--engine" && i + 1 < args.Length ? args[i + 1]
                : args[i].StartsWith("--engine=", StringComparison.Ordinal) || args[i].StartsWith("--engine:", StringComparison.Ordinal) ? args[i][9..]
                : null;
            if (value is not null)
            {
                return ExecutionEngines.TryParse(value, out var choice) ? choice : EngineChoice.Auto;
            }
        }
        return EngineChoice.Auto;
    }

    private static int Run(MachineConfig config, TextWriter? log)
    {
        LinuxMachine machine;
        try
        {
            machine = LinuxMachine.Prepare(config);
        }
        catch (Exception e) when (e is BootImageException or ArgumentException)
        {
            return Fail(e.Message);
        }
        using var interrupt = new CancellationTokenSource();
        int interrupts = 0;
        ConsoleCancelEventHandler onCtrlC = (_, e) =>
        {
            // The first Ctrl-C stops the VM cleanly instead of killing the process. Another one while
            // that stop is still under way takes the default action, which ends the process at once
            // (status 130, no summary): the way out should anything ever keep the stop from finishing.
            if (Interlocked.Increment(ref interrupts) == 1)
            {
                e.Cancel = true;
                interrupt.Cancel();
            }
        };
        Console.CancelKeyPress += onCtrlC;
        // SIGTERM (kill, systemd, a container stop) stops the VM as the first Ctrl-C does: the run
        // summary still prints and the disks are closed; the status says which signal it was.
        bool terminated = false;
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            terminated = true;
            interrupt.Cancel();
        });
        try
        {
            var exit = machine.Run(interrupt.Token);
            log?.WriteLine($"\n[turnstone] {exit.Reason}");
            if (machine.Summary is { } summary)
            {
                log?.WriteLine($"[turnstone] {summary}");
            }
            if (exit.Report is not null && exit.Kind is MachineExitKind.Error or MachineExitKind.TripleFault)
            {
                Console.Error.WriteLine(exit.Report);
            }
            return exit.Kind switch
            {
                MachineExitKind.PowerOff or MachineExitKind.Reset => 0,
                MachineExitKind.TripleFault => 2,
                MachineExitKind.Interrupted => terminated ? 143 : 130,
                _ => Fail(exit.Reason),
            };
        }
        catch (KvmException e)
        {
            return Fail(e.Message);
        }
        finally
        {
            Console.CancelKeyPress -= onCtrlC;
            TerminalKeypadMode.RestoreLocal();
        }
    }

    internal static int Fail(string message)
    {
        Console.Error.WriteLine($"turnstone: {message}");
        return 1;
    }
}
