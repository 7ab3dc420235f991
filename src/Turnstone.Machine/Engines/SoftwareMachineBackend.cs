using Turnstone.Cpu;
using Turnstone.Devices.Bus;
using Turnstone.Engine;
using Turnstone.Firmware.X86;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Kvm;
using Turnstone.Machine.Platform;

namespace Turnstone.Machine.Engines;

/// <summary>
/// The machine on the software engine (Turnstone.Cpu). RAM is host memory mapped as KVM's is
/// (lazily populated, so a 512 MiB guest costs what it touches) and seen by the CPU and the devices
/// through one <see cref="GuestPhysicalMemory"/>, so a device's write over decoded code drops it.
/// The interrupt controllers and timers KVM keeps in the kernel are ours here
/// (<see cref="SoftwareInterruptControllers"/>, driven by <see cref="SoftwareVcpuInterrupts"/>):
/// ISA IRQs reach the 8259 pair and the I/O APIC, PCI INTx the I/O APIC, MSI-X the local APIC.
/// Queue notifications trap (no ioeventfd) and run the queue on the vCPU thread; disks work one
/// request at a time, since io_uring would write guest RAM behind the engine's back.
/// </summary>
internal sealed class SoftwareMachineBackend : MachineBackend
{
    private readonly MappedGuestMemory _hostRam = new();
    private readonly GuestPhysicalMemory _memory;
    private readonly SoftwareInterruptControllers _controllers = new();
    private SoftwareVcpuExitSource? _exits;
    private SoftwareVcpuInterrupts? _interrupts;
    private readonly VcpuThreadInputRelay _consoleInput = new();

    public SoftwareMachineBackend(ulong memoryBytes)
    {
        try
        {
            var regions = new List<RamRegion>();
            foreach (var region in GuestRamLayout.For(memoryBytes))
            {
                _hostRam.AddRegion(region.GuestAddress, region.Size, hugePages: true);
                if (!_hostRam.TryGetHostAddress(region.GuestAddress, region.Size, out nuint host))
                {
                    throw new InvalidOperationException($"guest RAM at 0x{region.GuestAddress:x} has no host mapping");
                }
                regions.Add(new RamRegion(region.GuestAddress, region.Size, (nint)host));
            }
            _memory = new GuestPhysicalMemory([.. regions]);
        }
        catch
        {
            _hostRam.Dispose();
            throw;
        }
        Virtio = new VirtioHost(_memory, _controllers.MsiSink, new TrappedNotifications());
    }

    public override EngineKind Engine => EngineKind.Software;

    public override IGuestMemory Memory => _memory;

    public override VirtioHost Virtio { get; }

    public override IInterruptLine InterruptLine(uint gsi) => _controllers.InterruptLine(gsi);

    /// <summary>hvc0 input goes through the vCPU thread: every device write to guest RAM must happen there.</summary>
    public override Func<ReadOnlyMemory<byte>, int> ConsoleInput(Func<ReadOnlyMemory<byte>, int> deliver)
    {
        _consoleInput.Deliver = deliver;
        return _consoleInput.Offer;
    }

    public override void AttachPlatformDevices(DeviceBus ports, DeviceBus mmio) => _controllers.Attach(ports, mmio);

    public override IVcpuExitSource StartVcpu(BootCpuState entry, MachineControl control, TextWriter? log)
    {
        // Linux warms tens of thousands of blocks: translate the warm 64-bit ones to host code, and compile
        // only the hottest of the rest to .NET code, off the vCPU thread.
        var cpu = new SoftwareCpu(_memory, SoftwareCpu.BroadCodeJumpCacheEntries, SoftwareCpu.BroadCodeTlbEntries)
        {
            CompileInBackground = true,
            NativeCompileThreshold = SoftwareCpu.EnvironmentNativeThreshold ?? SoftwareCpu.BroadCodeNativeThreshold,
            CompileThreshold = SoftwareCpu.EnvironmentCompileThreshold ?? SoftwareCpu.BroadCodeCompileThreshold,
            DecodedCodeBudgetBytes = SoftwareCpu.BroadCodeDecodedCodeBudgetBytes,
        };
        control.AddKicker(cpu.RequestStop);
        control.AddKicker(_controllers.Wake.Wake);
        SoftwareVcpuSetup.Apply(cpu, entry);
        _consoleInput.Kick = () =>
        {
            cpu.RequestStop();
            _controllers.Wake.Wake();
        };
        _interrupts = new SoftwareVcpuInterrupts(cpu, _controllers, _consoleInput);
        return _exits = new SoftwareVcpuExitSource(cpu, _interrupts);
    }

    public override void ReleaseVcpu()
    {
    }

    public override EngineRunFigures Figures() => new(
        new Dictionary<Iced.Intel.Mnemonic, long>(), 0, 0, _hostRam.MonitorResidentBytes(),
        (long?)_exits?.Cpu.InstructionsRetired, InterruptsDelivered: _interrupts?.InterruptsDelivered ?? 0,
        GuestClock: (TimeSpan.FromTicks(_controllers.Clock.HeldBackNanoseconds / 100), TimeSpan.FromTicks(_controllers.Clock.LagNanoseconds / 100)),
        FirstLongModeEntryTimestamp: _exits?.Cpu.FirstLongModeEntryTimestamp is > 0 and var entered ? entered : null);

    public override void Dispose()
    {
        _memory.Dispose();
        _hostRam.Dispose();
        _controllers.Dispose();
    }
}
