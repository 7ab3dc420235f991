using Iced.Intel;
using Turnstone.Bench.Bare;
using Turnstone.Hypervisor.Emulation;
using Turnstone.Hypervisor.Interop;
using Turnstone.Hypervisor.Kvm;
using Turnstone.Hypervisor.Quirks;

namespace Turnstone.IntegrationTests;

/// <summary>Result of running a small guest until it writes to a port.</summary>
public sealed record PortStop(ushort Port, byte Value, KvmRegs Registers, byte[] StackAtRsp, long EmulatedInstructions, long SystemCallsRepaired);

/// <summary>Runs Iced-assembled guest code on the engine, with the emulation fallback and the host-quirk repair as the machine uses them.</summary>
public static class BareGuest
{
    public static PortStop RunUntilPortWrite(Action<Assembler> code, bool userMode, ushort? stopPort = null, int maxExits = 10_000)
    {
        return Kvm.OnVcpuThread(() =>
        {
            using var kvm = Kvm.Open();
            using var guest = FlatLongModeVm.Create(kvm, code, userMode);
            var emulation = new EmulationFailureHandler(guest.Memory);
            var repair = HostQuirks.Detect().MisdeliversUserSystemCalls ? new SystemCallRepair(guest.Memory) : null;
            for (int i = 0; i < maxExits; i++)
            {
                var exit = guest.Vcpu.Run();
                repair?.OnExit(guest.Vcpu);
                switch (exit.Reason)
                {
                    case VcpuExitReason.Io when exit.IoIsWrite && (stopPort is null || exit.IoPort == stopPort):
                        var registers = guest.Vcpu.GetRegisters();
                        var stack = new byte[40];
                        if (guest.Memory.TryGetSpan(registers.Rsp, stack.Length, out var atRsp))
                        {
                            atRsp.CopyTo(stack);
                        }
                        return new PortStop(exit.IoPort, guest.Vcpu.IoData[0], registers, stack, emulation.Handled,
                            repair?.SystemCallsRedirected ?? 0);
                    case VcpuExitReason.Io:
                        continue;
                    case VcpuExitReason.InternalError when exit.InternalError == InternalErrorKind.Emulation:
                        if (emulation.Handle(guest.Vcpu) is { } failure)
                        {
                            throw new InvalidOperationException(VcpuStateReport.Build(guest.Vcpu, guest.Memory, failure, exit));
                        }
                        continue;
                    case VcpuExitReason.Debug when repair is not null:
                        if (repair.HandleDebugExit(guest.Vcpu, exit) is { } why)
                        {
                            throw new InvalidOperationException(why);
                        }
                        continue;
                    default:
                        throw new InvalidOperationException(VcpuStateReport.Build(guest.Vcpu, guest.Memory, "unexpected exit", exit));
                }
            }
            throw new InvalidOperationException($"guest did not write the port within {maxExits} exits");
        });
    }
}
