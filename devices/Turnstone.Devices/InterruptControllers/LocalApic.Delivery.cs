namespace Turnstone.Devices.InterruptControllers;

/// <summary>Accepting interrupts, the priority rules, acknowledgement and EOI.</summary>
public sealed partial class LocalApic
{
    private const uint SendIllegalVector = 1u << 5, ReceiveIllegalVector = 1u << 6, IllegalRegisterAddress = 1u << 7;

    private bool _errorInterruptDue;
    private bool _externalInterruptMessage;

    /// <summary>
    /// PPR (SDM 11.8.3.1): the TPR when its class is at least that of the highest in-service vector,
    /// else that vector's class.
    /// </summary>
    private uint ProcessorPriority
    {
        get
        {
            int inService = _isr.Highest();
            uint serviceClass = inService < 0 ? 0u : (uint)inService & 0xF0;
            return (_taskPriority & 0xF0) >= serviceClass ? _taskPriority : serviceClass;
        }
    }

    /// <summary>The highest requested vector if its priority class is above the PPR's, else -1.</summary>
    private int HighestDeliverableVectorLocked()
    {
        if (!HardwareEnabled)
        {
            return -1;
        }
        int requested = _irr.Highest();
        return requested >= 0 && (requested & 0xF0) > (ProcessorPriority & 0xF0) ? requested : -1;
    }

    /// <summary>LINT0 in ExtINT mode and unmasked (or the APIC hardware-disabled, when INTR goes straight to the core) with INTR up.</summary>
    private bool ExternalInterruptLocked =>
        _externalController is not null && (_externalInterruptMessage || _pinLevels[0] &&
        (!HardwareEnabled || (_lvt[LvtLint0Index] & LvtMasked) == 0 && (ApicDeliveryMode)(_lvt[LvtLint0Index] >> 8 & 7) == ApicDeliveryMode.ExtInt));

    /// <summary>The vector the APIC would hand the core now, or -1 (ExtINT requests, whose vector only INTA tells, are not included).</summary>
    public int HighestDeliverableVector
    {
        get
        {
            lock (_gate)
            {
                return HighestDeliverableVectorLocked();
            }
        }
    }

    /// <summary>Whether a maskable interrupt (APIC vector or ExtINT) is waiting for the core's interrupt window.</summary>
    public bool HasDeliverableInterrupt
    {
        get
        {
            lock (_gate)
            {
                return ExternalInterruptLocked || HighestDeliverableVectorLocked() >= 0;
            }
        }
    }

    /// <summary>
    /// The core takes a maskable interrupt (call it only with RFLAGS.IF set and no interrupt shadow):
    /// an ExtINT request runs the 8259's INTA; otherwise the highest deliverable vector moves from IRR
    /// to ISR. False when nothing is deliverable.
    /// </summary>
    public bool TryAcknowledgeInterrupt(out byte vector)
    {
        bool external;
        lock (_gate)
        {
            external = ExternalInterruptLocked;
            _externalInterruptMessage = false;
            if (!external)
            {
                int highest = HighestDeliverableVectorLocked();
                if (highest < 0)
                {
                    vector = 0;
                    return false;
                }
                MoveToInService(highest);
                vector = (byte)highest;
                return true;
            }
        }
        // Outside the lock: the PIC drives LINT0 while holding its own lock.
        vector = _externalController!.AcknowledgeInterrupt();
        return true;
    }

    /// <summary>Moves <paramref name="vector"/> from IRR to ISR (the core took it); false when it was not requested.</summary>
    public bool AcknowledgeVector(byte vector)
    {
        lock (_gate)
        {
            if (!_irr.Contains(vector))
            {
                return false;
            }
            MoveToInService(vector);
            return true;
        }
    }

    private void MoveToInService(int vector)
    {
        _irr.Remove(vector);
        _isr.Add(vector);
    }

    /// <summary>An EOI: the highest in-service vector leaves the ISR; returns it when its TMR bit says level-triggered (to broadcast), else -1.</summary>
    private int EndOfInterruptLocked()
    {
        int vector = _isr.Highest();
        if (vector < 0)
        {
            return -1;
        }
        _isr.Remove(vector);
        return _tmr.Contains(vector) ? vector : -1;
    }

    /// <summary>A fixed interrupt arrives: IRR set, TMR records the trigger mode. True when it is now pending.</summary>
    private bool AcceptFixed(int vector, bool levelTriggered)
    {
        if (vector < 16)
        {
            RecordError(ReceiveIllegalVector);
            DroppedInterrupts++;
            return false;
        }
        if (!SoftwareEnabled)
        {
            DroppedInterrupts++;
            return false;
        }
        _irr.Add(vector);
        _tmr.Set(vector, levelTriggered);
        return true;
    }

    /// <summary>Takes a message addressed to this APIC; true when the vCPU has something new to look at.</summary>
    private bool AcceptLocked(in ApicMessage message)
    {
        if (!HardwareEnabled)
        {
            DroppedInterrupts++;
            return false;
        }
        switch (message.DeliveryMode)
        {
            case ApicDeliveryMode.Fixed or ApicDeliveryMode.LowestPriority:
                return AcceptFixed(message.Vector, message.LevelTriggered);
            case ApicDeliveryMode.Nmi:
                _nmiPending = true;
                return true;
            case ApicDeliveryMode.Init:
                _initPending = true;
                return true;
            case ApicDeliveryMode.StartUp:
                _startupVector = message.Vector;
                return true;
            case ApicDeliveryMode.ExtInt:
                // The vector comes from the 8259's INTA; asking the PIC here would take its lock inside ours.
                _externalInterruptMessage = _externalController is not null;
                return _externalInterruptMessage;
            default:
                DroppedInterrupts++; // SMI: there is no SMM
                return false;
        }
    }

    /// <summary>Whether a message with this destination is for this APIC (physical: ID or broadcast 0xFF; logical: flat or cluster model).</summary>
    private bool MatchesDestination(byte destination, bool logical)
    {
        if (!logical)
        {
            return destination == 0xFF || destination == _id;
        }
        byte logicalId = (byte)(_logicalDestination >> 24);
        if (destination == 0xFF)
        {
            return true;
        }
        if (_destinationFormat >> 28 == 0xF)
        {
            return (logicalId & destination) != 0; // flat: a bit per APIC
        }
        // Cluster: the high nibble names the cluster, the low nibble a bit per APIC in it.
        return (logicalId >> 4) == (destination >> 4) && (logicalId & destination & 0x0F) != 0;
    }

    public void Deliver(in ApicMessage message)
    {
        bool wake;
        lock (_gate)
        {
            if (MatchesDestination(message.Destination, message.LogicalDestination))
            {
                wake = AcceptLocked(message);
            }
            else
            {
                DroppedInterrupts++; // no other processor to take it
                wake = false;
            }
            wake |= TakeErrorInterrupt();
        }
        if (wake)
        {
            InterruptPending?.Invoke();
        }
    }

    /// <summary>An MSI write to 0xFEEx_xxxx (from a device worker thread, say).</summary>
    public void Signal(ulong address, uint data) => Deliver(ApicMessage.FromMsi(address, data));

    /// <summary>Requests <paramref name="vector"/> as a fixed interrupt, from any thread, waking a halted vCPU.</summary>
    public void RaiseVector(byte vector, bool levelTriggered = false) =>
        Deliver(new ApicMessage(vector, ApicDeliveryMode.Fixed, _id, LogicalDestination: false, levelTriggered));

    /// <summary>An NMI, INIT or SIPI the core must act on; each is taken once.</summary>
    public bool TakePendingNmi()
    {
        lock (_gate)
        {
            bool pending = _nmiPending;
            _nmiPending = false;
            return pending;
        }
    }

    public bool TakePendingInit()
    {
        lock (_gate)
        {
            bool pending = _initPending;
            _initPending = false;
            return pending;
        }
    }

    /// <summary>The vector of a received start-up IPI (the AP starts at vector * 0x1000), or -1.</summary>
    public int TakePendingStartupVector()
    {
        lock (_gate)
        {
            int vector = _startupVector;
            _startupVector = -1;
            return vector;
        }
    }

    internal void SetLocalInterruptPin(int pin, bool level)
    {
        bool wake;
        lock (_gate)
        {
            bool rising = level && !_pinLevels[pin];
            _pinLevels[pin] = level;
            uint lvt = _lvt[pin == 0 ? LvtLint0Index : LvtLint1Index];
            var mode = (ApicDeliveryMode)(lvt >> 8 & 7);
            if (mode == ApicDeliveryMode.ExtInt || pin == 0 && !HardwareEnabled)
            {
                wake = pin == 0 && ExternalInterruptLocked;
            }
            else if (!rising || (lvt & LvtMasked) != 0)
            {
                wake = false;
            }
            else
            {
                wake = mode switch
                {
                    ApicDeliveryMode.Nmi => _nmiPending = true,
                    ApicDeliveryMode.Fixed => AcceptFixed((byte)lvt, levelTriggered: (lvt & 1u << 15) != 0),
                    _ => false,
                };
            }
            wake |= TakeErrorInterrupt();
        }
        if (wake)
        {
            InterruptPending?.Invoke();
        }
    }

    private void RecordError(uint error)
    {
        _errorsSinceLatch |= error;
        _errorInterruptDue = true;
    }

    /// <summary>Raises the LVT error interrupt for errors recorded since the last look, when unmasked.</summary>
    private bool TakeErrorInterrupt()
    {
        if (!_errorInterruptDue)
        {
            return false;
        }
        _errorInterruptDue = false;
        uint lvt = _lvt[LvtErrorIndex];
        // An illegal vector in the error LVT itself is not reported again (that would loop).
        return (lvt & LvtMasked) == 0 && (byte)lvt >= 16 && AcceptFixed((byte)lvt, levelTriggered: false);
    }
}
