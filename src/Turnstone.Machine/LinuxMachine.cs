using System.Diagnostics;
using Turnstone.Devices.Legacy;
using Turnstone.Devices.Pci;
using Turnstone.Firmware;
using Turnstone.Firmware.Bios;
using Turnstone.Machine.Bios;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.Engine;
using Turnstone.Hypervisor.Kvm;
using Turnstone.Machine.Engines;
using Turnstone.Machine.Platform;
using Turnstone.Machine.Terminal;

namespace Turnstone.Machine;

/// <summary>
/// Builds and runs a PC-like VM that boots Linux: RAM, the legacy devices, the Linux boot protocol
/// (or PVH for an ELF that asks for it), and one thread per vCPU, on the engine
/// <see cref="MachineConfig.Engine"/> chooses (<see cref="MachineEngineSelection"/>): KVM with its
/// in-kernel interrupt controllers, or the software engine with ours (<see cref="SoftwareInterruptControllers"/>).
/// </summary>
public sealed class LinuxMachine
{
    private readonly MachineConfig _config;
    private LinuxBootPlan? _plan;

    /// <summary>Where every device goes; the ACPI tables were built from the same record.</summary>
    private readonly PcPlatform _platform;
    private readonly Acpi.Tables.AcpiTableSet _acpiTables;

    /// <summary>The memory map with the ACPI tables and ECAM marked, for the BIOS's INT 15h E820 (null on a kernel boot, whose plan holds it).</summary>
    private E820Map? _biosMemoryMap;

    /// <summary>The BIOS ROM, assembled on a pool thread from <see cref="Prepare"/> on while another rehearses the BIOS's calls (null on a kernel boot).</summary>
    private Task<BiosRomImage>? _biosRom;

    private LinuxMachine(MachineConfig config, LinuxBootPlan? plan, PcPlatform platform, Acpi.Tables.AcpiTableSet acpiTables,
        (EngineKind Engine, string Reason) engine, string description)
    {
        (Engine, EngineReason) = engine;
        if (Engine == EngineKind.Software)
        {
            Cpu.SoftwareCpuCodeWarmup.StartOnce(); // on another core while the machine is set up
        }
        _config = config;
        _plan = plan;
        _platform = platform;
        _acpiTables = acpiTables;
        KernelDescription = description;
    }

    /// <summary>True when the machine boots its first disk through the BIOS rather than a kernel through the Linux boot protocol.</summary>
    public bool BootsThroughBios => _platform.BiosFirmwareCallPort is not null;

    public string KernelDescription { get; }

    /// <summary>Results of the last <see cref="Run"/>.</summary>
    public MachineRunSummary? Summary { get; private set; }

    /// <summary>
    /// Reads and validates everything (kernel, initrd, command line, memory size) before any VM
    /// exists, and chooses the engine. Throws <see cref="BootImageException"/> or <see cref="ArgumentException"/>
    /// naming the problem.
    /// </summary>
    public static LinuxMachine Prepare(MachineConfig config)
    {
        if (config.MemoryBytes < MachineConfig.MinimumMemory || config.MemoryBytes % 4096 != 0)
        {
            throw new ArgumentException($"--memory must be a multiple of 4 KiB and at least {MachineConfig.MinimumMemory >> 20} MiB");
        }
        if (config.Cpus != 1)
        {
            throw new ArgumentException(
                "--cpus other than 1 is not supported yet: the machine runs only vCPU 0 and does not start application processors");
        }
        foreach (var disk in config.Disks)
        {
            disk.Validate();
        }
        if (config.Firmware == FirmwareChoice.Uefi)
        {
            throw new ArgumentException("--firmware uefi is not implemented yet (bios is the firmware that boots disks today)");
        }
        if (config.Firmware == FirmwareChoice.Bios || config.KernelPath is null)
        {
            return PrepareBios(config);
        }
        byte[] kernel = ReadInput(config.KernelPath, "kernel");
        byte[]? initrd = config.InitrdPath is null ? null : InitialRamdisk.Prepare(ReadInput(config.InitrdPath, "initrd"), config.DecompressOnHost);
        var image = LinuxKernelImage.Parse(kernel, config.DecompressOnHost, config.Boot);
        var e820 = E820Map.FromRam(GuestRamLayout.For(config.MemoryBytes));
        var platform = PcPlatform.Lay(config.Disks.Count);
        var acpi = AcpiFirmware.Build(platform.Builder.Describe(config.Cpus), e820);
        // The engine before the plan: the default command line depends on it.
        var engine = MachineEngineSelection.Resolve(config.Engine, MachineEngineSelection.IsLinux(image));
        config = config with { CommandLine = config.CommandLine ?? MachineConfig.DefaultCommandLineFor(engine.Engine) };
        var plan = LinuxBootPlan.Create(image, initrd, config.CommandLine, e820);
        plan.AcpiRsdpAddress = acpi.RsdpAddress;
        return new LinuxMachine(config, plan, platform, acpi, engine, plan.Kernel.Description);
    }

    /// <summary>
    /// Starts getting the BIOS ready on pool threads (<see cref="BiosFirmware.PrepareAhead"/>) before
    /// there is a machine: for a caller that knows early that a BIOS boot is coming (the CLI, before
    /// it parses the rest of its command line). <see cref="Prepare"/> of a BIOS boot starts it otherwise.
    /// When the boot will run on the software engine, that engine's code warm-up starts too.
    /// </summary>
    public static void PrepareBiosAhead(EngineChoice choice)
    {
        _ = BiosFirmware.PrepareAhead();
        try
        {
            if (MachineEngineSelection.ResolveForBios(choice).Engine == EngineKind.Software)
            {
                Cpu.SoftwareCpuCodeWarmup.StartOnce();
            }
        }
        catch (ArgumentException)
        {
            // --engine kvm where KVM cannot run a BIOS boot: Prepare reports it.
        }
    }

    /// <summary>
    /// Starts the software engine's code warm-up before there is a machine, when a Linux kernel boot
    /// with <paramref name="choice"/> will run on that engine: for the CLI, before it parses its
    /// command line and loads the kernel. The constructor starts it otherwise (once per process).
    /// On a minimal kernel's boot the vCPU thread spent about 90 ms compiling engine methods the
    /// warm-up had not reached yet (perf, 2026-12-07).
    /// </summary>
    public static void PrepareKernelBootAhead(EngineChoice choice)
    {
        if (MachineEngineSelection.Resolve(choice, guestIsLinux: true).Engine == EngineKind.Software)
        {
            Cpu.SoftwareCpuCodeWarmup.StartOnce();
        }
    }

    /// <summary>
    /// A machine that boots its first disk through the BIOS: no kernel, initrd or command line (the
    /// boot loader on the disk chooses those), at least one disk, and an engine that can run real
    /// mode (<see cref="MachineEngineSelection.ResolveForBios"/>).
    /// </summary>
    private static LinuxMachine PrepareBios(MachineConfig config)
    {
        if (config.KernelPath is not null)
        {
            throw new ArgumentException("--kernel conflicts with --firmware bios: the BIOS boots the first --disk; drop one of them");
        }
        if (config.InitrdPath is not null || config.CommandLine is not null)
        {
            throw new ArgumentException($"{(config.InitrdPath is not null ? "--initrd" : "--cmdline")} needs --kernel; a BIOS boot takes them from the disk's boot loader");
        }
        if (config.Disks.Count == 0)
        {
            throw new ArgumentException("nothing to boot: give --kernel, or --disk IMAGE to boot it through the BIOS");
        }
        var e820 = E820Map.FromRam(GuestRamLayout.For(config.MemoryBytes));
        var platform = PcPlatform.Lay(config.Disks.Count, bios: true);
        var acpi = AcpiFirmware.Build(platform.Builder.Describe(config.Cpus), e820);
        var engine = MachineEngineSelection.ResolveForBios(config.Engine);
        return new LinuxMachine(config, null, platform, acpi, engine, $"BIOS boot from drive 80h ({Path.GetFileName(config.Disks[0].Path)})")
        {
            _biosMemoryMap = e820,
            _biosRom = BiosFirmware.PrepareAhead(),
        };
    }

    private static byte[] ReadInput(string path, string what)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BootImageException($"cannot read {what} '{path}': {e.Message}");
        }
    }

    /// <summary>The engine <see cref="Run"/> uses, chosen by <see cref="MachineConfig.Engine"/>.</summary>
    public EngineKind Engine { get; }

    /// <summary>Why that engine: what was asked for, and for auto what the probe of /dev/kvm found.</summary>
    public string EngineReason { get; }

    /// <summary>
    /// How long the vCPU thread has to end once the machine was told to stop. It normally takes
    /// milliseconds (the engine stops at its next block, KVM at its next exit, a halted vCPU is
    /// woken); a thread still running after this is stuck in the host, e.g. writing guest console
    /// output to a terminal stopped with Ctrl-S or a pipe nobody reads, and is left behind.
    /// </summary>
    public static readonly TimeSpan VcpuStopGrace = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Creates the VM and runs it until the guest powers off or resets, an error, or <paramref name="cancel"/>.
    /// When the vCPU thread does not end within <see cref="VcpuStopGrace"/> of the stop, the run
    /// returns without it (logging so) and leaves the VM's memory and devices in place, since that
    /// thread may still touch them: the caller should then end the process.
    /// </summary>
    public MachineExit Run(CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        _config.Log?.WriteLine($"[turnstone] engine: {MachineEngineSelection.Name(Engine)} ({EngineReason})");
        MachineBackend backend = Engine == EngineKind.Kvm
            ? new KvmMachineBackend(_config.MemoryBytes)
            : new SoftwareMachineBackend(_config.MemoryBytes);
        bool vcpuEnded = true;
        try
        {
            return RunOn(backend, clock, cancel, out vcpuEnded);
        }
        finally
        {
            if (vcpuEnded)
            {
                backend.Dispose();
            }
        }
    }

    private MachineExit RunOn(MachineBackend backend, Stopwatch clock, CancellationToken cancel, out bool vcpuEnded)
    {
        vcpuEnded = true;
        var log = _config.Log;
        var control = new MachineControl();
        var buses = new PlatformBuses(_platform.Builder, backend.InterruptLine, log);
        backend.AttachPlatformDevices(buses.Ports, buses.Mmio);
        // The UART, the BIOS and hvc0 write from different threads; its lock keeps their bytes whole and in order.
        using var consoleOutput = new BatchedConsoleOutput(_config.ConsoleOutput ?? Stream.Null);
        var uart = buses.AttachWithIrq(_platform.Com1, line => new Serial16550(ConsoleStreams.Writer(consoleOutput), line));
        buses.Attach(_platform.KeyboardController, new I8042Controller(control));
        ulong lowRam = Math.Min(_config.MemoryBytes, GuestRamLayout.MmioHoleStart);
        var rtc = new CmosRtc(lowRam, _config.MemoryBytes - lowRam);
        buses.Attach(_platform.CmosRtc, rtc);
        buses.Attach(_platform.PostCodePort, new PostCodePort());
        buses.Attach(_platform.PowerManagement, new AcpiPowerManagement(control));
        buses.Pci.Attach(_platform.HostBridge, new PciHostBridge());
        VirtioDevices virtio;
        try
        {
            virtio = VirtioDevices.Create(backend.Virtio, buses.Pci, _platform.Disks, _platform.Console, _config.Disks, consoleOutput,
                e => control.Stop(new MachineExit(MachineExitKind.Error, $"virtio worker failed: {e.Message}", e.ToString())), log);
        }
        catch (IOException e)
        {
            return new MachineExit(MachineExitKind.Error, e.Message);
        }
        try
        {
            return RunWith(backend, virtio, buses, uart, rtc, consoleOutput, control, clock, cancel, out vcpuEnded);
        }
        finally
        {
            if (vcpuEnded)
            {
                virtio.Dispose(); // before the backend: its workers stop before the memory they use goes
            }
        }
    }

    private MachineExit RunWith(MachineBackend backend, VirtioDevices virtio, PlatformBuses buses, Serial16550 uart, CmosRtc rtc, BatchedConsoleOutput consoleOutput,
        MachineControl control, Stopwatch clock, CancellationToken cancel, out bool vcpuEnded)
    {
        var log = _config.Log;
        AcpiFirmware.WriteTo(_acpiTables, backend.Memory);
        var bootTimer = new BootTimer(clock, t => log?.WriteLine($"\n[turnstone] boot timer: guest init reached after {t.TotalSeconds:F2} s"));
        buses.Attach(_platform.BootTimer, bootTimer);

        BiosFirmware? bios = null;
        var diskTransfers = new BiosDiskTransfers();
        var biosSetup = Stopwatch.StartNew();
        if (_platform.BiosFirmwareCallPort is { } firmwarePort)
        {
            var terminal = new BiosTerminal(ConsoleStreams.RunWriter(consoleOutput));
            var drives = new List<IBiosDisk>(); // a loop, not a LINQ lambda compiled here, inside the set-up time
            for (int i = 0; i < virtio.DiskBackends.Count; i++)
            {
                // The drive's EDD device path names the PCI function its virtio-blk device sits in.
                var pci = _platform.Disks[i].Address;
                drives.Add(new BlockBackendBiosDisk(virtio.DiskBackends[i], new BiosDiskPciLocation(pci.Bus, pci.Device, pci.Function), diskTransfers));
            }
            bios = BiosFirmware.Create(drives, terminal, backend.Memory, _biosMemoryMap!,
                reason => control.Stop(new MachineExit(MachineExitKind.Error, reason)), rtc, log);
            buses.Attach(firmwarePort, bios.Port);
        }
        // Not the firmware's set-up: the check that the platform's wiring matches the ACPI tables,
        // which a kernel boot makes as well (it compiles LINQ over the machine's device records).
        biosSetup.Stop();
        buses.EnsureEveryDeviceAttached();
        biosSetup.Start();

        var entry = bios is null ? WriteBootImageOnce(backend.Memory) : InstallBios(bios, backend.Memory, _biosRom!.GetAwaiter().GetResult());
        var biosSetupTime = biosSetup.Elapsed;
        if (bios is not null)
        {
            // The firmware's share of the start on the machine's path: the services, waiting for the
            // ROM assembled and the rehearsal run since Prepare (if they are not done yet), the IVT and the BDA.
            log?.WriteLine($"[turnstone] BIOS ready in {biosSetup.Elapsed.TotalMilliseconds:F1} ms ({bios.Dispatcher.TrapVectors.Count} trapped vectors)");
        }
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        log?.WriteLine($"[turnstone] {KernelDescription}; {_config.MemoryBytes >> 20} MiB RAM{backend.StartNote}");

        VcpuLoop? loop = null;
        Exception? vcpuFailure = null;
        using var stopInput = new CancellationTokenSource();
        using var cancelRegistration = cancel.Register(() => control.Stop(new MachineExit(MachineExitKind.Interrupted, "stopped by the user")));
        var vcpuThread = new Thread(() =>
        {
            // Created and run on this thread, as KVM expects of a vCPU.
            try
            {
                var exits = backend.StartVcpu(entry, control, log);
                bios?.Port.Connect(exits);
                loop = new VcpuLoop(exits, buses.Ports, buses.Mmio, control);
                if (!control.StopRequested)
                {
                    loop.Run();
                }
            }
            catch (Exception e)
            {
                vcpuFailure = e;
                control.Stop(new MachineExit(MachineExitKind.Error, $"vCPU 0 failed: {e.Message}"));
            }
            finally
            {
                backend.ReleaseVcpu();
            }
        })
        { Name = "vcpu0", IsBackground = true };
        vcpuThread.Start();
        var keyboard = bios is not null ? BiosKeyboard(bios, backend, virtio, uart)
            : KernelCommandLine.InteractiveConsoleIsVirtio(_config.CommandLine!)
                ? backend.ConsoleInput(bytes => virtio.Console.EnqueueInput(bytes.Span))
                : ConsoleStreams.Into(uart);
        ConsoleStreams.StartInputPump(_config.ConsoleInput, keyboard, stopInput.Token);
        vcpuEnded = WaitForVcpu(vcpuThread, control);
        stopInput.Cancel();
        if (vcpuEnded)
        {
            if (!consoleOutput.TryFlush(VcpuStopGrace))
            {
                log?.WriteLine($"\n[turnstone] the guest's console output was not taken within {VcpuStopGrace.TotalSeconds:F0} s of the end " +
                               "(a stopped terminal, or a pipe nobody reads); leaving it behind");
            }
        }
        else
        {
            // Not flushed: the stuck thread may hold the console's lock, mid-write.
            log?.WriteLine($"\n[turnstone] the vCPU did not stop within {VcpuStopGrace.TotalSeconds:F0} s of the stop " +
                           "(blocked in the host, e.g. writing guest output nobody reads); leaving it behind");
        }

        var exit = control.Exit ?? new MachineExit(MachineExitKind.Error, "vCPU stopped without a reason");
        var figures = backend.Figures();
        Summary = new MachineRunSummary(clock.Elapsed, bootTimer.BootTime, loop?.Exits, figures.EmulatedInstructions,
            figures.SystemCallsRepaired, figures.LegacySystemCallsRepaired, figures.MonitorResidentBytes, GC.GetTotalMemory(true), virtio.Work)
        {
            Engine = Engine,
            InstructionsRetired = figures.InstructionsRetired,
            InterruptsDelivered = figures.InterruptsDelivered,
            GuestClock = figures.GuestClock,
            Bios = bios is null ? null : new BiosRunFigures(biosSetupTime + bios.Port.HandlingTime, bios.Port.Calls, diskTransfers.Time, diskTransfers.Bytes),
            // After a BIOS the first switch to long mode is the kernel's start (the loaders stay in 16/32-bit code).
            KernelEntered = bios is not null && figures.FirstLongModeEntryTimestamp is { } entered
                ? Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp() - clock.ElapsedTicks, entered) : null,
        };
        if (vcpuFailure is not null && exit.Report is null)
        {
            exit = exit with { Report = vcpuFailure.ToString() };
        }
        return exit;
    }

    /// <summary>
    /// Keys for a BIOS boot: INT 16h's while the BIOS owns the keyboard (<see cref="BiosTerminal"/>),
    /// then the guest's. The command line that says which console is interactive is the boot
    /// loader's, unknown to the monitor, and a loader may leave the UART's receive interrupt on
    /// (SYSLINUX does), so each key goes to every console a driver has up: hvc0 once its driver
    /// set the device up, the UART while its received-data interrupt is on, the UART when neither.
    /// A guest reads one of them (output goes to one terminal too, see README: Limits). Either sign
    /// also ends the BIOS's ownership (the BIOS drives neither).
    /// </summary>
    private static Func<ReadOnlyMemory<byte>, int> BiosKeyboard(BiosFirmware bios, MachineBackend backend, VirtioDevices virtio, Serial16550 uart)
    {
        var hvc0 = backend.ConsoleInput(bytes => virtio.Console.EnqueueInput(bytes.Span));
        var serial = ConsoleStreams.Into(uart);
        bool SerialOpen() => uart.ReceiveInterruptEnabled;
        bool VirtioConsoleUp() => virtio.Console.AcceptedFeatures != 0;
        int ToEveryOpenConsole(ReadOnlyMemory<byte> bytes)
        {
            bool toVirtio = VirtioConsoleUp(), toSerial = SerialOpen() || !toVirtio;
            int taken = 0;
            while (taken < bytes.Length)
            {
                var key = bytes.Slice(taken, 1);
                bool accepted = (toVirtio && hvc0(key) > 0) | (toSerial && serial(key) > 0);
                if (!accepted)
                {
                    break;
                }
                taken++;
            }
            return taken;
        }
        return bios.Terminal.Keyboard(ToEveryOpenConsole, () => SerialOpen() || VirtioConsoleUp());
    }

    /// <summary>The BIOS in guest RAM (ROM, IVT, its data), and the vCPU at the reset vector F000:FFF0.</summary>
    private static Firmware.X86.BootCpuState InstallBios(BiosFirmware bios, GuestMemory.IGuestMemory memory, BiosRomImage rom)
    {
        bios.Install(memory, rom);
        return Firmware.X86.BootCpuState.RealModeReset(BiosStubLayout.RomSegment, BiosStubLayout.ResetVectorOffset);
    }

    /// <summary>
    /// Waits for the vCPU thread, which ends only after a stop (its loop runs until one), and gives it
    /// <see cref="VcpuStopGrace"/> from then: false when it is still running. The stop is looked for
    /// four times a second, which costs nothing and bounds how late the grace starts.
    /// </summary>
    private static bool WaitForVcpu(Thread vcpu, MachineControl control)
    {
        while (!vcpu.Join(TimeSpan.FromMilliseconds(250)))
        {
            if (control.StopRequested)
            {
                return vcpu.Join(VcpuStopGrace);
            }
        }
        return true;
    }

    /// <summary>
    /// Writes the boot plan into guest RAM and lets go of it: the kernel and initrd now live in
    /// guest memory, so the host copies (up to ~100 MiB for a distribution kernel decompressed on
    /// the host) go back to the system before the guest runs. A separate, non-inlined method so no
    /// stack slot of <see cref="Run"/> keeps the plan reachable.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private Firmware.X86.BootCpuState WriteBootImageOnce(GuestMemory.IGuestMemory memory)
    {
        var plan = _plan ?? throw new InvalidOperationException("a LinuxMachine runs once; prepare a new one");
        _plan = null;
        var entry = plan.WriteTo(memory);
        return entry;
    }
}

/// <summary>Figures from one run: wall time, boot timer, exits, repairs, monitor memory.</summary>
public sealed record MachineRunSummary(
    TimeSpan WallTime,
    TimeSpan? BootTime,
    ExitStatistics? Exits,
    IReadOnlyDictionary<Iced.Intel.Mnemonic, long> EmulatedInstructions,
    long SystemCallsRepaired,
    long LegacySystemCallsRepaired,
    long MonitorResidentBytes,
    long ManagedHeapCommittedBytes,
    IReadOnlyList<VirtioWork> VirtioWork)
{
    public EngineKind Engine { get; init; } = EngineKind.Kvm;

    /// <summary>Guest instructions the software engine retired; null on KVM, which counts none.</summary>
    public long? InstructionsRetired { get; init; }

    /// <summary>Interrupts the software engine's controllers handed to its CPU (KVM counts none).</summary>
    public long InterruptsDelivered { get; init; }

    /// <summary>Software engine: host time its guest clock held back from vCPU stalls in all, and the lag still to give back at the end.</summary>
    public (TimeSpan HeldBack, TimeSpan Lag)? GuestClock { get; init; }

    /// <summary>BIOS boots: the firmware's own share of the run and what its disk transfers took of it.</summary>
    public BiosRunFigures? Bios { get; init; }

    /// <summary>BIOS boots on the software engine: when the kernel took over (its first switch to long
    /// mode), from the start of the run.</summary>
    public TimeSpan? KernelEntered { get; init; }

    private string EmulatedBreakdown() => EmulatedInstructions.Count == 0 ? ""
        : " [" + string.Join(", ", EmulatedInstructions.OrderByDescending(e => e.Value).Select(e => $"{e.Key.ToString().ToLowerInvariant()} {e.Value}")) + "]";

    public override string ToString()
    {
        string exits = Exits is null ? "no exits"
            : Engine == EngineKind.Software
                ? $"{Exits.Total} exits (port I/O {Exits[VcpuExitReason.Io]}, MMIO {Exits[VcpuExitReason.Mmio]})"
                : $"{Exits.Total} exits (port I/O {Exits[VcpuExitReason.Io]}, MMIO {Exits[VcpuExitReason.Mmio]}, " +
                  $"emulated instructions {EmulatedInstructions.Values.Sum()}{EmulatedBreakdown()}, debug {Exits[VcpuExitReason.Debug]})";
        string boot = BootTime is { } t ? $"boot timer {t.TotalSeconds:F2} s" : "boot timer not reached";
        string repairs = SystemCallsRepaired + LegacySystemCallsRepaired > 0
            ? $"; system calls repaired {SystemCallsRepaired} + int 0x80 {LegacySystemCallsRepaired}" : "";
        string virtio = VirtioWork.Any(w => w.Runs > 0)
            ? "; virtio queue work off the vCPU: " + string.Join(", ", VirtioWork.Where(w => w.Runs > 0)) : "";
        string instructions = InstructionsRetired is { } retired
            ? $"; {retired} guest instructions ({retired / Math.Max(WallTime.TotalSeconds, 1e-9) / 1e6:F1} M/s)" : "";
        string interrupts = InterruptsDelivered > 0 ? $"; {InterruptsDelivered} interrupts delivered" : "";
        string guestClock = GuestClock is { } paced
            ? $"; guest clock held back {paced.HeldBack.TotalSeconds:F2} s from vCPU stalls, {paced.Lag.TotalSeconds:F2} s behind at the end" : "";
        string bios = Bios is { } firmware
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"; bios {firmware.Time.TotalMilliseconds:F2} ms ({firmware.Calls} calls; disk transfers {firmware.DiskTime.TotalMilliseconds:F2} ms, {firmware.DiskBytes / 1048576.0:F1} MiB)") : "";
        string kernel = KernelEntered is { } entered
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"; kernel entered after {entered.TotalSeconds:F3} s") : "";
        return $"engine {MachineEngineSelection.Name(Engine)}; ran {WallTime.TotalSeconds:F2} s; {boot}; {exits}{instructions}{interrupts}{guestClock}{bios}{kernel}{repairs}{virtio}; monitor RSS beyond guest RAM {MonitorResidentBytes >> 20} MiB (managed heap {ManagedHeapCommittedBytes >> 20} MiB)";
    }
}
