using Turnstone.Devices.Bus;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor;
using Turnstone.Hypervisor.Emulation;
using Turnstone.Hypervisor.Kvm;
using Turnstone.Hypervisor.Quirks;

namespace Turnstone.Machine;

/// <summary>
/// One vCPU's run loop: enter the guest, dispatch the exit, repeat until the machine stops. Every
/// failure, including one the guest provoked, ends the VM with a report instead of escaping.
/// </summary>
internal sealed class VcpuLoop(
    Vcpu vcpu,
    IGuestMemory memory,
    DeviceBus ports,
    DeviceBus mmio,
    MachineControl control,
    HostQuirks quirks)
{
    private readonly EmulationFailureHandler _emulation = new(memory);
    private readonly SystemCallRepair? _systemCallRepair = quirks.MisdeliversUserSystemCalls ? new SystemCallRepair(memory) : null;

    public ExitStatistics Exits { get; } = new();
    public EmulationFailureHandler Emulation => _emulation;
    public SystemCallRepair? SystemCallRepair => _systemCallRepair;

    public void Run()
    {
        while (!control.StopRequested)
        {
            VcpuExit exit = default;
            try
            {
                exit = vcpu.Run();
                Exits.Count(exit.Reason);
                _systemCallRepair?.OnExit(vcpu);
                if (Dispatch(exit) is { } stop)
                {
                    control.Stop(stop);
                }
            }
            catch (Exception e) when (e is KvmException or GuestMemoryAccessException or ArgumentException or InvalidOperationException)
            {
                control.Stop(Failure($"monitor error while handling the exit: {e.Message}", exit));
            }
        }
    }

    private MachineExit? Dispatch(in VcpuExit exit)
    {
        switch (exit.Reason)
        {
            case VcpuExitReason.Io:
                var data = vcpu.IoData;
                for (int i = 0; i < exit.IoCount; i++)
                {
                    var element = data.Slice(i * exit.IoSize, exit.IoSize);
                    if (exit.IoIsWrite)
                    {
                        ports.Write(exit.IoPort, element);
                    }
                    else
                    {
                        ports.Read(exit.IoPort, element);
                    }
                }
                return null;
            case VcpuExitReason.Mmio:
                if (exit.MmioIsWrite)
                {
                    mmio.Write(exit.MmioAddress, vcpu.MmioData);
                }
                else
                {
                    mmio.Read(exit.MmioAddress, vcpu.MmioData);
                }
                return null;
            case VcpuExitReason.Interrupted or VcpuExitReason.IrqWindowOpen:
                return null;
            case VcpuExitReason.InternalError when exit.InternalError == InternalErrorKind.Emulation:
                return _emulation.Handle(vcpu) is { } reason ? Failure(reason, exit) : null;
            case VcpuExitReason.Debug when _systemCallRepair is not null:
                return _systemCallRepair.HandleDebugExit(vcpu, exit) is { } why ? Failure(why, exit) : null;
            case VcpuExitReason.Shutdown:
                return new MachineExit(MachineExitKind.TripleFault, "guest triple fault (shutdown)",
                    VcpuStateReport.Build(vcpu, memory, "triple fault", exit));
            case VcpuExitReason.SystemEvent when exit.SystemEvent == SystemEventKind.Shutdown:
                return new MachineExit(MachineExitKind.PowerOff, "guest powered off (system event)");
            case VcpuExitReason.SystemEvent when exit.SystemEvent == SystemEventKind.Reset:
                return new MachineExit(MachineExitKind.Reset, "guest reset (system event)");
            case VcpuExitReason.Hlt:
                return Failure("guest halted with interrupts that can never arrive", exit);
            default:
                return Failure($"unexpected exit: {exit}", exit);
        }
    }

    private MachineExit Failure(string reason, in VcpuExit exit) =>
        new(MachineExitKind.Error, reason, VcpuStateReport.Build(vcpu, memory, reason, exit));
}
