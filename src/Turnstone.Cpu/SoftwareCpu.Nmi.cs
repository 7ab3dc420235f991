using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// Non-maskable interrupts: vector 2 through the IDT whatever RFLAGS.IF says, and from its delivery
// until the next IRET no further NMI (one more is held, as hardware latches one). A halted core
// wakes for one. Delivered at a block boundary, as external interrupts are, but not inside a MOV SS
// or STI shadow (the SDM lets processors hold NMIs after STI; this one always does).
public sealed partial class SoftwareCpu
{
    private bool _nmiRequested;
    private bool _nmiBlocked;

    /// <summary>Raises the NMI line (the local APIC's NMI delivery, LINT1). A second request before
    /// delivery is the same NMI. vCPU thread only, between runs.</summary>
    public void RequestNmi()
    {
        _nmiRequested = true;
        CallAttention();
    }

    /// <summary>An NMI waits for delivery.</summary>
    public bool NmiPending => _nmiRequested;

    /// <summary>NMIs are held: an NMI handler runs and has not executed IRET yet.</summary>
    public bool NmisBlocked => _nmiBlocked;

    private void DeliverNmi()
    {
        _nmiRequested = false;
        _halted = false;
        _nmiBlocked = true;
        DeliverEvent((byte)ExceptionVector.Nmi, 0, false, _rip, EventKind.External, _rip);
    }

    private void ResetNmiState()
    {
        _nmiRequested = false;
        _nmiBlocked = false;
    }
}
