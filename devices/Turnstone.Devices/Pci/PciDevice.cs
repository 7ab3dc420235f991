using Turnstone.Devices.Bus;
using Turnstone.PciRoot;

namespace Turnstone.Devices.Pci;

/// <summary>
/// A PCI function: its configuration space, the accesses routed to its BARs, and its legacy
/// INTx pin. Devices (virtio, the host bridge) derive from it. BAR handlers receive the offset
/// into the BAR and any access size a guest can produce; they must answer, not throw.
/// </summary>
public abstract class PciDevice
{
    private IInterruptLine? _interruptLine;
    private bool _interruptRequested, _lineAsserted;

    protected PciDevice(PciConfigSpace config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        Config.GuestWrote += (offset, length) =>
        {
            if (PciConfigSpace.Overlaps(offset, length, PciConfigRegisters.Command, 2))
            {
                UpdateInterruptLine();
            }
        };
    }

    public PciConfigSpace Config { get; }

    /// <summary>A guest read of BAR <paramref name="bar"/> at <paramref name="offset"/>. Unbacked BAR space reads as zero.</summary>
    public virtual void ReadBar(int bar, ulong offset, Span<byte> data) => data.Clear();

    /// <summary>A guest write to BAR <paramref name="bar"/> at <paramref name="offset"/>.</summary>
    public virtual void WriteBar(int bar, ulong offset, ReadOnlySpan<byte> data)
    {
    }

    /// <summary>The machine wires the function's INTx pin to a line (a GSI after swizzling) once.</summary>
    public void ConnectInterrupt(IInterruptLine line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (Config.InterruptPin == PciInterruptPin.None)
        {
            throw new InvalidOperationException("this function has no interrupt pin");
        }
        lock (Config.Gate)
        {
            if (_interruptLine is not null)
            {
                throw new InvalidOperationException("the interrupt pin is already connected");
            }
            _interruptLine = line;
            UpdateInterruptLine();
        }
    }

    /// <summary>
    /// Drives INTx (level-triggered: keep it asserted until the guest acknowledges the cause).
    /// Status.InterruptStatus follows the request; the line itself stays low while the guest has
    /// set Command.InterruptDisable, and rises again when it clears it.
    /// </summary>
    protected void SetInterruptLevel(bool asserted)
    {
        lock (Config.Gate)
        {
            _interruptRequested = asserted;
            Config.SetInterruptStatus(asserted);
            UpdateInterruptLine();
        }
    }

    private void UpdateInterruptLine()
    {
        lock (Config.Gate)
        {
            bool level = _interruptRequested && (Config.Command & PciCommand.InterruptDisable) == 0;
            if (_interruptLine is null || level == _lineAsserted)
            {
                return;
            }
            _lineAsserted = level;
            _interruptLine.SetLevel(level);
        }
    }
}
