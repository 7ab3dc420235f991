using System.Diagnostics;
using Turnstone.Devices.Legacy;
using Turnstone.Devices.Pci;
using Turnstone.Firmware;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.Hypervisor;
using Turnstone.Hypervisor.Kvm;
using Turnstone.Hypervisor.Quirks;
using Turnstone.Machine.Platform;

namespace Turnstone.Machine;

/// <summary>
/// Builds and runs a PC-like VM that boots Linux: RAM, in-kernel interrupt controllers, the legacy
/// devices, the Linux boot protocol (or PVH for an ELF that asks for it), and one thread per vCPU.
/// </summary>
public sealed class LinuxMachine
{
    private readonly MachineConfig _config;
    private LinuxBootPlan? _plan;

    /// <summary>Where every device goes; the ACPI tables were built from the same record.</summary>
    private readonly PcPlatform _platform;
    private readonly Acpi.Tables.AcpiTableSet _acpiTables;

    private LinuxMachine(MachineConfig config, LinuxBootPlan plan, PcPlatform platform, Acpi.Tables.AcpiTableSet acpiTables)
    {
        _config = config;
        _plan = plan;
        _platform = platform;
        _acpiTables = acpiTables;
        KernelDescription = plan.Kernel.Description;
    }

    public string KernelDescription { get; }

    /// <summary>Results of the last <see cref="Run"/>.</summary>
    public MachineRunSummary? Summary { get; private set; }

    /// <summary>
    /// Reads and validates everything (kernel, initrd, command line, memory size) before any VM
    /// exists. Throws <see cref="BootImageException"/> or <see cref="ArgumentException"/> naming the problem.
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
        byte[] kernel = ReadInput(config.KernelPath, "kernel");
        byte[]? initrd = config.InitrdPath is null ? null : InitialRamdisk.Prepare(ReadInput(config.InitrdPath, "initrd"), config.DecompressOnHost);
        var image = LinuxKernelImage.Parse(kernel, config.DecompressOnHost, config.Boot);
        var e820 = E820Map.FromRam(GuestRamLayout.For(config.MemoryBytes));
        var platform = PcPlatform.Lay(config.Disks.Count);
        var acpi = AcpiFirmware.Build(platform.Builder.Describe(config.Cpus), e820);
        var plan = LinuxBootPlan.Create(image, initrd, config.CommandLine, e820);
        plan.AcpiRsdpAddress = acpi.RsdpAddress;
        return new LinuxMachine(config, plan, platform, acpi);
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

    /// <summary>Creates the VM and runs it until the guest powers off or resets, an error, or <paramref name="cancel"/>.</summary>
    public MachineExit Run(CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        var log = _config.Log;
        var quirks = HostQuirks.Detect();
        var control = new MachineControl();
        using var kvm = KvmSystem.Open();
        using var vm = kvm.CreateVm();
        foreach (var region in GuestRamLayout.For(_config.MemoryBytes))
        {
            vm.AddRam(region.GuestAddress, region.Size, hugePages: true); // like QEMU: see AddRegion
        }
        vm.CreatePlatformInterruptControllers();

        var buses = new PlatformBuses(_platform.Builder, gsi => new GsiLine(vm, gsi), log);
        // The UART and hvc0 write from different threads; one lock keeps their bytes whole.
        var consoleOutput = _config.ConsoleOutput is null ? Stream.Null : Stream.Synchronized(_config.ConsoleOutput);
        var uart = buses.AttachWithIrq(_platform.Com1, line => new Serial16550(ConsoleStreams.Writer(consoleOutput), line));
        buses.Attach(_platform.KeyboardController, new I8042Controller(control));
        ulong lowRam = Math.Min(_config.MemoryBytes, GuestRamLayout.MmioHoleStart);
        buses.Attach(_platform.CmosRtc, new CmosRtc(lowRam, _config.MemoryBytes - lowRam));
        buses.Attach(_platform.PostCodePort, new PostCodePort());
        buses.Attach(_platform.PowerManagement, new AcpiPowerManagement(control));
        buses.Pci.Attach(_platform.HostBridge, new PciHostBridge());
        VirtioDevices virtio;
        try
        {
            virtio = VirtioDevices.Create(vm, buses.Pci, _platform.Disks, _platform.Console, _config.Disks, consoleOutput,
                e => control.Stop(new MachineExit(MachineExitKind.Error, $"virtio worker failed: {e.Message}", e.ToString())), log);
        }
        catch (IOException e)
        {
            return new MachineExit(MachineExitKind.Error, e.Message);
        }
        using var stopVirtioFirst = virtio;
        AcpiFirmware.WriteTo(_acpiTables, vm.Memory);
        var bootTimer = new BootTimer(clock, t => log?.WriteLine($"\n[turnstone] boot timer: guest init reached after {t.TotalSeconds:F2} s"));
        buses.Attach(_platform.BootTimer, bootTimer);
        buses.EnsureEveryDeviceAttached();

        var entry = WriteBootImageOnce(vm);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        log?.WriteLine($"[turnstone] {KernelDescription}; {_config.MemoryBytes >> 20} MiB RAM" +
                       (quirks.MisdeliversUserSystemCalls ? "; nested PVM host: system-call repair on" : ""));

        VcpuLoop? loop = null;
        KvmVcpuExitSource? exits = null;
        Exception? vcpuFailure = null;
        using var stopInput = new CancellationTokenSource();
        using var cancelRegistration = cancel.Register(() => control.Stop(new MachineExit(MachineExitKind.Interrupted, "stopped by the user")));
        var vcpuThread = new Thread(() =>
        {
            // Created and run on this thread, as KVM expects of a vCPU.
            try
            {
                using var vcpu = vm.CreateVcpu(0);
                control.AddKicker(vcpu.Kick);
                VcpuSetup.Apply(vcpu, entry, kvm.GetSupportedCpuid(), log);
                exits = new KvmVcpuExitSource(vcpu, vm.Memory, quirks);
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
        })
        { Name = "vcpu0", IsBackground = true };
        vcpuThread.Start();
        var keyboard = KernelCommandLine.InteractiveConsoleIsVirtio(_config.CommandLine)
            ? bytes => virtio.Console.EnqueueInput(bytes.Span)
            : ConsoleStreams.Into(uart);
        ConsoleStreams.StartInputPump(_config.ConsoleInput, keyboard, stopInput.Token);
        vcpuThread.Join();
        stopInput.Cancel();
        consoleOutput.Flush();

        var exit = control.Exit ?? new MachineExit(MachineExitKind.Error, "vCPU stopped without a reason");
        Summary = new MachineRunSummary(clock.Elapsed, bootTimer.BootTime, loop?.Exits, exits?.Emulation.CountsByInstruction.ToDictionary() ?? [],
            exits?.SystemCallRepair?.SystemCallsRedirected ?? 0, exits?.SystemCallRepair?.LegacySystemCallsRedirected ?? 0,
            vm.Memory.MonitorResidentBytes(), GC.GetTotalMemory(true), virtio.Work);
        if (vcpuFailure is not null && exit.Report is null)
        {
            exit = exit with { Report = vcpuFailure.ToString() };
        }
        return exit;
    }

    /// <summary>
    /// Writes the boot plan into guest RAM and lets go of it: the kernel and initrd now live in
    /// guest memory, so the host copies (up to ~100 MiB for a distribution kernel decompressed on
    /// the host) go back to the system before the guest runs. A separate, non-inlined method so no
    /// stack slot of <see cref="Run"/> keeps the plan reachable.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private Firmware.X86.BootCpuState WriteBootImageOnce(VirtualMachine vm)
    {
        var plan = _plan ?? throw new InvalidOperationException("a LinuxMachine runs once; prepare a new one");
        _plan = null;
        var entry = plan.WriteTo(vm.Memory);
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
    private string EmulatedBreakdown() => EmulatedInstructions.Count == 0 ? ""
        : " [" + string.Join(", ", EmulatedInstructions.OrderByDescending(e => e.Value).Select(e => $"{e.Key.ToString().ToLowerInvariant()} {e.Value}")) + "]";

    public override string ToString()
    {
        string exits = Exits is null ? "no exits"
            : $"{Exits.Total} exits (port I/O {Exits[VcpuExitReason.Io]}, MMIO {Exits[VcpuExitReason.Mmio]}, " +
              $"emulated instructions {EmulatedInstructions.Values.Sum()}{EmulatedBreakdown()}, debug {Exits[VcpuExitReason.Debug]})";
        string boot = BootTime is { } t ? $"boot timer {t.TotalSeconds:F2} s" : "boot timer not reached";
        string repairs = SystemCallsRepaired + LegacySystemCallsRepaired > 0
            ? $"; system calls repaired {SystemCallsRepaired} + int 0x80 {LegacySystemCallsRepaired}" : "";
        string virtio = VirtioWork.Any(w => w.Runs > 0)
            ? "; virtio queue work off the vCPU: " + string.Join(", ", VirtioWork.Where(w => w.Runs > 0)) : "";
        return $"ran {WallTime.TotalSeconds:F2} s; {boot}; {exits}{repairs}{virtio}; monitor RSS beyond guest RAM {MonitorResidentBytes >> 20} MiB (managed heap {ManagedHeapCommittedBytes >> 20} MiB)";
    }
}
