using Turnstone.Devices.Bus;
using Turnstone.Firmware.Bios;

namespace Turnstone.Machine.Bios;

/// <summary>
/// The port the BIOS trap stubs write (<see cref="BiosStubLayout.FirmwareCallPort"/>): on a write
/// from real mode the vCPU's registers for this exit go to the <see cref="BiosDispatcher"/>, which
/// finds the vector from CS:IP; a write from elsewhere (protected mode, or real-mode code outside
/// the trap slots) does nothing, and reads return FFh as from an empty ISA port.
/// </summary>
internal sealed class BiosFirmwareCallPort(BiosDispatcher dispatcher, BiosTerminal terminal) : IBusDevice
{
    private IVcpuExitSource? _vcpu;
    private long _handlingTicks;

    /// <summary>Firmware calls the monitor handled (a wait-and-retry counts each trap).</summary>
    public long Calls { get; private set; }

    /// <summary>Host time spent handling them: the services, disk reads for INT 13h included.</summary>
    public TimeSpan HandlingTime => System.Diagnostics.Stopwatch.GetElapsedTime(0, _handlingTicks);

    /// <summary>The vCPU whose exits write the port; set on the vCPU's thread before it first runs.</summary>
    public void Connect(IVcpuExitSource vcpu) => _vcpu = vcpu;

    public void Read(ulong offset, Span<byte> data) => data.Fill(0xFF);

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        // Timed from here: fetching the registers is part of the call (KVM's window reads them from the vCPU).
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_vcpu?.RealModeRegisters() is not { } registers)
        {
            return;
        }
        if (dispatcher.TryHandleTrap(registers))
        {
            registers.Commit();
            terminal.NoteFirmwareCall();
            Calls++;
            _handlingTicks += System.Diagnostics.Stopwatch.GetTimestamp() - start;
        }
    }
}
