using System.Buffers.Binary;
using Turnstone.Cpu;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Machine.Engines;

/// <summary>
/// A <see cref="SoftwareCpu"/> for <see cref="VcpuLoop"/>: its exits in the loop's terms, so port
/// and MMIO accesses reach the same buses as under KVM. The data of an access lives here, as it
/// lives in KVM's run page: a write's value is put in <see cref="IoData"/>/<see cref="MmioData"/>
/// before the loop dispatches it, and a read's answer, which the loop leaves there, is handed to the
/// CPU (<see cref="SoftwareCpu.CompleteRead"/>) when the loop enters the guest again, as KVM takes
/// it from the run page at the next KVM_RUN. Nothing is allocated per exit.
/// </summary>
/// <remarks>
/// With <paramref name="interrupts"/> (the machine's controllers), timers are serviced and the
/// APIC's interrupts handed to the core before each entry, the core runs in slices of
/// <see cref="SoftwareVcpuInterrupts.SliceInstructions"/> so timers fire in guest loops without
/// exits, and HLT sleeps here until an interrupt wakes it; without, HLT reaches the loop.
/// </remarks>
internal sealed class SoftwareVcpuExitSource(SoftwareCpu cpu, SoftwareVcpuInterrupts? interrupts = null) : IVcpuExitSource
{
    private readonly byte[] _data = new byte[sizeof(ulong)];
    private CpuExit _exit;
    private bool _readPending;
    private readonly SoftwareRealModeRegisters _realModeRegisters = new(cpu);

    public SoftwareCpu Cpu => cpu;

    public VcpuExit Run()
    {
        if (_readPending)
        {
            _readPending = false;
            cpu.CompleteRead(BinaryPrimitives.ReadUInt64LittleEndian(_data));
        }
        if (interrupts is null)
        {
            _exit = cpu.Run();
        }
        else
        {
            while (true)
            {
                interrupts.BeforeEntry();
                _exit = cpu.Run(SoftwareVcpuInterrupts.SliceInstructions);
                if (_exit.Reason is CpuExitReason.BudgetExhausted or CpuExitReason.InterruptWindow
                    || (_exit.Reason == CpuExitReason.Halt && interrupts.WaitWhileHalted()))
                {
                    continue;
                }
                if (_exit.Reason is CpuExitReason.PortWrite or CpuExitReason.MmioWrite)
                {
                    interrupts.OnWriteExit();
                }
                break;
            }
        }
        switch (_exit.Reason)
        {
            case CpuExitReason.PortRead:
            case CpuExitReason.MmioRead:
                BinaryPrimitives.WriteUInt64LittleEndian(_data, 0);
                _readPending = true;
                return Access(isWrite: false);
            case CpuExitReason.PortWrite:
            case CpuExitReason.MmioWrite:
                BinaryPrimitives.WriteUInt64LittleEndian(_data, _exit.Value);
                return Access(isWrite: true);
            case CpuExitReason.Halt:
                return new VcpuExit(VcpuExitReason.Hlt);
            case CpuExitReason.Shutdown:
                return new VcpuExit(VcpuExitReason.Shutdown);
            case CpuExitReason.StopRequested or CpuExitReason.BudgetExhausted:
                return new VcpuExit(VcpuExitReason.Interrupted);
            default:
                // NotImplemented: TryHandleEngineExit ends the machine with the CPU's description.
                return new VcpuExit(VcpuExitReason.InternalError, InternalError: InternalErrorKind.UnexpectedExitReason);
        }
    }

    private VcpuExit Access(bool isWrite) =>
        _exit.Reason is CpuExitReason.PortRead or CpuExitReason.PortWrite
            ? new VcpuExit(VcpuExitReason.Io, IoIsWrite: isWrite, IoPort: _exit.Port, IoSize: (byte)_exit.Size, IoCount: 1)
            : new VcpuExit(VcpuExitReason.Mmio, MmioAddress: _exit.Address, MmioLength: (byte)_exit.Size, MmioIsWrite: isWrite);

    public Span<byte> IoData => _data.AsSpan(0, _exit.Size);

    public Span<byte> MmioData => _data.AsSpan(0, _exit.Size);

    /// <summary>The engine's own ends: an instruction or mode it does not implement yet stops the
    /// machine with the CPU's description (the instruction, its disassembly and RIP).</summary>
    public bool TryHandleEngineExit(in VcpuExit exit, out string? failure)
    {
        if (_exit.Reason == CpuExitReason.NotImplemented)
        {
            failure = _exit.Description ?? "an instruction not implemented by the software engine";
            return true;
        }
        if (exit.Reason == VcpuExitReason.InternalError)
        {
            failure = $"unexpected software engine exit: {_exit}";
            return true;
        }
        failure = null;
        return false;
    }

    public Bios.VcpuRegisterWindow? RealModeRegisters() => _realModeRegisters.InRealMode ? _realModeRegisters : null;

    public string StateReport(string reason, in VcpuExit exit) => SoftwareVcpuStateReport.Build(cpu, reason);
}
