using Turnstone.Devices.Bus;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Machine;

/// <summary>
/// One vCPU's run loop: enter the guest, dispatch the exit, repeat until the machine stops. Every
/// failure, including one the guest provoked, ends the VM with a report instead of escaping.
/// </summary>
internal sealed class VcpuLoop(
    IVcpuExitSource vcpu,
    DeviceBus ports,
    DeviceBus mmio,
    MachineControl control)
{
    public ExitStatistics Exits { get; } = new();

    public void Run()
    {
        while (!control.StopRequested)
        {
            VcpuExit exit = default;
            try
            {
                exit = vcpu.Run();
                Exits.Count(exit.Reason);
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

    /// <summary>Handles one exit; returns why the machine stops, or null to enter the guest again.</summary>
    internal MachineExit? Dispatch(in VcpuExit exit)
    {
        if (vcpu.TryHandleEngineExit(exit, out string? failure))
        {
            return failure is null ? null : Failure(failure, exit);
        }
        switch (exit.Reason)
        {
            case VcpuExitReason.Io:
                // A string instruction (rep outsw, rep insb) arrives as one exit: IoCount elements
                // of IoSize bytes each, which the device sees one at a time, as on hardware.
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
            case VcpuExitReason.Shutdown:
                return new MachineExit(MachineExitKind.TripleFault, "guest triple fault (shutdown)", vcpu.StateReport("triple fault", exit));
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
        new(MachineExitKind.Error, reason, vcpu.StateReport(reason, exit));
}
