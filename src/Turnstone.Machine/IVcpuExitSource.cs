using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Machine;

/// <summary>
/// A vCPU as <see cref="VcpuLoop"/> drives it: enter the guest until the next exit, the data of a
/// port or MMIO exit, the exits only the engine itself understands, and the report when the VM stops.
/// KVM's vCPU is one (<see cref="KvmVcpuExitSource"/>), the software CPU another
/// (<see cref="Engines.SoftwareVcpuExitSource"/>, which keeps an access's data as KVM's run page
/// does); the unit tests script a third, so the exit dispatch is tested without /dev/kvm.
/// </summary>
internal interface IVcpuExitSource
{
    /// <summary>Enters the guest until the next exit that needs the monitor.</summary>
    VcpuExit Run();

    /// <summary>The current port I/O exit's data: <c>IoSize * IoCount</c> bytes, element after element.</summary>
    Span<byte> IoData { get; }

    /// <summary>The current MMIO exit's data: the bytes written, or where the read's result goes.</summary>
    Span<byte> MmioData { get; }

    /// <summary>
    /// Called on every exit before the loop dispatches it. True when the engine handled the exit
    /// itself (an instruction its emulator completed, a repaired system call), with
    /// <paramref name="failure"/> saying why the VM must stop if it could not; false to let the
    /// loop dispatch it.
    /// </summary>
    bool TryHandleEngineExit(in VcpuExit exit, out string? failure);

    /// <summary>
    /// The vCPU's registers during the current exit when it is in real mode (a BIOS firmware call),
    /// or null; changes reach the vCPU at <see cref="Bios.VcpuRegisterWindow.Commit"/>, before the
    /// next entry. Engines that run no BIOS keep the default.
    /// </summary>
    Bios.VcpuRegisterWindow? RealModeRegisters() => null;

    /// <summary>What the monitor prints when the VM stops on <paramref name="exit"/>: registers, code at RIP.</summary>
    string StateReport(string reason, in VcpuExit exit);
}
