using Turnstone.Devices.Bus;
using Turnstone.Engine;
using Turnstone.Firmware.X86;
using Turnstone.GuestMemory;
using Turnstone.Machine.Platform;

namespace Turnstone.Machine.Engines;

/// <summary>
/// What <see cref="LinuxMachine"/> needs of the engine that runs it: guest RAM laid out as
/// <see cref="GuestRamLayout"/> says, the interrupt lines and MSI delivery the devices raise, how
/// virtio queue notifications arrive, and vCPU 0 as an <see cref="IVcpuExitSource"/> for
/// <see cref="VcpuLoop"/>. The devices, ACPI, firmware and buses are the same on every engine.
/// </summary>
internal abstract class MachineBackend : IDisposable
{
    public abstract EngineKind Engine { get; }

    /// <summary>Guest RAM as the devices and the boot loader write it (on the software engine, writes
    /// through it drop decoded code, so a DMA over old code leaves nothing stale).</summary>
    public abstract IGuestMemory Memory { get; }

    /// <summary>What the virtio functions get: the same memory, MSI delivery and notify registrations.</summary>
    public abstract VirtioHost Virtio { get; }

    public abstract IInterruptLine InterruptLine(uint gsi);

    /// <summary>Puts the engine's own platform devices on the buses: on the software engine the
    /// interrupt controllers and timers KVM keeps in the kernel.</summary>
    public virtual void AttachPlatformDevices(DeviceBus ports, DeviceBus mmio)
    {
    }

    /// <summary>How keyboard input reaches a device that writes it into guest RAM (hvc0): on KVM
    /// directly from the input thread; the software engine relays it through the vCPU thread.</summary>
    public virtual Func<ReadOnlyMemory<byte>, int> ConsoleInput(Func<ReadOnlyMemory<byte>, int> deliver) => deliver;

    /// <summary>A note for the start line (host quirks in effect), or empty.</summary>
    public virtual string StartNote => "";

    /// <summary>Creates vCPU 0 in <paramref name="entry"/>'s state and lets <paramref name="control"/> stop it.
    /// Called on the thread that then runs it, as KVM expects.</summary>
    public abstract IVcpuExitSource StartVcpu(BootCpuState entry, MachineControl control, TextWriter? log);

    /// <summary>Lets go of vCPU 0 on the thread that ran it.</summary>
    public abstract void ReleaseVcpu();

    /// <summary>The engine's share of the run summary, after the vCPU stopped.</summary>
    public abstract EngineRunFigures Figures();

    public abstract void Dispose();
}
