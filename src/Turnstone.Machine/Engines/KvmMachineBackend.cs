using Turnstone.Devices.Bus;
using Turnstone.Engine;
using Turnstone.Firmware.X86;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Kvm;
using Turnstone.Hypervisor.Quirks;
using Turnstone.Machine.Platform;

namespace Turnstone.Machine.Engines;

/// <summary>
/// The machine on KVM, as before the engine choice: RAM mapped into the VM with huge pages, KVM's
/// in-kernel PIC, I/O APIC and PIT, MSI-X through KVM_SIGNAL_MSI, queue notifications through
/// ioeventfds, and the vCPU with the host's quirks repaired (<see cref="KvmVcpuExitSource"/>).
/// </summary>
internal sealed class KvmMachineBackend : MachineBackend
{
    private readonly KvmSystem _kvm;
    private readonly VirtualMachine _vm;
    private readonly HostQuirks _quirks = HostQuirks.Detect();
    private Vcpu? _vcpu;
    private KvmVcpuExitSource? _exits;

    public KvmMachineBackend(ulong memoryBytes)
    {
        _kvm = KvmSystem.Open();
        try
        {
            _vm = _kvm.CreateVm();
            foreach (var region in GuestRamLayout.For(memoryBytes))
            {
                _vm.AddRam(region.GuestAddress, region.Size, hugePages: true); // like QEMU: see AddRegion
            }
            _vm.CreatePlatformInterruptControllers();
            Virtio = VirtioHost.Of(_vm);
        }
        catch
        {
            _vm?.Dispose();
            _kvm.Dispose();
            throw;
        }
    }

    public override EngineKind Engine => EngineKind.Kvm;

    public override IGuestMemory Memory => _vm.Memory;

    public override VirtioHost Virtio { get; }

    public override IInterruptLine InterruptLine(uint gsi) => new GsiLine(_vm, gsi);

    public override string StartNote => _quirks.MisdeliversUserSystemCalls ? "; nested PVM host: system-call repair on" : "";

    public override IVcpuExitSource StartVcpu(BootCpuState entry, MachineControl control, TextWriter? log)
    {
        _vcpu = _vm.CreateVcpu(0);
        control.AddKicker(_vcpu.Kick);
        VcpuSetup.Apply(_vcpu, entry, _kvm.GetSupportedCpuid(), log);
        return _exits = new KvmVcpuExitSource(_vcpu, _vm.Memory, _quirks);
    }

    public override void ReleaseVcpu() => _vcpu?.Dispose();

    public override EngineRunFigures Figures() => new(
        _exits?.Emulation.CountsByInstruction.ToDictionary() ?? [],
        _exits?.SystemCallRepair?.SystemCallsRedirected ?? 0,
        _exits?.SystemCallRepair?.LegacySystemCallsRedirected ?? 0,
        _vm.Memory.MonitorResidentBytes());

    public override void Dispose()
    {
        _vm.Dispose();
        _kvm.Dispose();
    }
}
