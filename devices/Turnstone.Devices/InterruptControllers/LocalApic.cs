using Turnstone.Devices.Bus;
using Turnstone.Devices.Pci;
using Turnstone.Devices.Timers;

namespace Turnstone.Devices.InterruptControllers;

/// <summary>
/// One vCPU's local APIC in xAPIC mode (the 4 KiB page at 0xFEE0_0000; x2APIC is not offered):
/// ID, version, TPR/PPR, IRR/ISR/TMR with the SDM's priority rules, EOI with broadcast of
/// level-triggered vectors to the I/O APIC, the spurious-vector register, six LVT entries (timer,
/// thermal, performance, LINT0, LINT1, error; thermal and performance are programmable but nothing
/// raises them), the timer in one-shot, periodic and TSC-deadline modes, the ICR, and the ESR.
/// </summary>
/// <remarks>
/// The vCPU thread asks <see cref="TryAcknowledgeInterrupt"/> when its interrupt window is open,
/// <see cref="TakePendingNmi"/>, and sleeps in HLT until <see cref="NextDeadlineNanoseconds"/> or
/// until <see cref="InterruptPending"/> wakes it. Any thread may deliver (MSI from a virtio worker,
/// the I/O APIC, the PIC on LINT0); everything is behind one lock, and callbacks run outside it.
/// Like KVM, LINT0 of the bootstrap processor starts in ExtINT mode unmasked, so the 8259 reaches a
/// guest that never programs its APIC (a BIOS-era one), and fixed interrupts that arrive while the
/// APIC is software-disabled are dropped.
/// </remarks>
public sealed partial class LocalApic : IBusDevice, IApicMessageSink, IMsiSink, IDeadlineTimer
{
    public const ulong DefaultBaseAddress = 0xFEE0_0000;
    public const ulong PageSize = 0x1000;

    /// <summary>An integrated APIC (0x1x) with six LVT entries: max LVT index 5 in bits 23:16.</summary>
    public const uint VersionValue = 0x14 | (LvtCount - 1) << 16;

    private const int LvtCount = 6;
    private const int LvtTimerIndex = 0, LvtThermalIndex = 1, LvtPerformanceIndex = 2, LvtLint0Index = 3, LvtLint1Index = 4, LvtErrorIndex = 5;
    private const uint LvtMasked = 1u << 16;
    private const uint SoftwareEnable = 1u << 8;
    private const ulong ApicBaseBootstrap = 1ul << 8, ApicBaseX2Apic = 1ul << 10, ApicBaseEnable = 1ul << 11;

    private readonly Lock _gate = new();
    private readonly IGuestClock _clock;
    private readonly bool _bootstrap;
    private readonly ApicVectorSet _irr = new(), _isr = new(), _tmr = new();
    private readonly uint[] _lvt = new uint[LvtCount];
    private readonly bool[] _pinLevels = new bool[2];
    private IExternalInterruptController? _externalController;

    private ulong _apicBase;
    private byte _id;
    private byte _taskPriority;
    private uint _logicalDestination;
    private uint _destinationFormat;
    private uint _spuriousVector;
    private uint _errorStatus;
    private uint _errorsSinceLatch;
    private uint _icrLow, _icrHigh;
    private bool _nmiPending, _initPending;
    private int _startupVector = -1;

    /// <param name="clock">What the timer counts against.</param>
    /// <param name="timerFrequencyHz">The timer's input clock before the divider: the core crystal CPUID leaf 0x15 advertises (Linux then skips calibrating it).</param>
    /// <param name="tscFrequencyHz">The TSC rate the CPU advertises; TSC-deadline mode compares <see cref="ReadTimeStampCounter"/> with IA32_TSC_DEADLINE.</param>
    public LocalApic(IGuestClock clock, byte apicId, bool bootstrapProcessor, long timerFrequencyHz, long tscFrequencyHz)
    {
        _clock = clock;
        _bootstrap = bootstrapProcessor;
        TimerFrequencyHz = timerFrequencyHz;
        TscFrequencyHz = tscFrequencyHz;
        Lint0 = new LocalApicInterruptLine(this, 0);
        Lint1 = new LocalApicInterruptLine(this, 1);
        _id = apicId;
        Reset();
    }

    public long TimerFrequencyHz { get; }
    public long TscFrequencyHz { get; }

    /// <summary>The LINT0 pin: connect the 8259 pair's output here (<see cref="DualPic8259.ConnectOutput"/>).</summary>
    public IInterruptLine Lint0 { get; }

    /// <summary>The LINT1 pin (NMI on a PC).</summary>
    public IInterruptLine Lint1 { get; }

    /// <summary>
    /// Called from whichever thread made an interrupt, NMI or INIT pending (outside the APIC's lock):
    /// the vCPU loop sets it to wake a halted vCPU.
    /// </summary>
    public Action? InterruptPending { get; set; }

    /// <summary>Called with the vector on an EOI of a level-triggered interrupt: the I/O APIC's <see cref="IoApic.EndOfInterrupt"/>.</summary>
    public Action<byte>? LevelTriggeredEoi { get; set; }

    /// <summary>Called for every IPI meant (also) for other processors; a one-vCPU machine only counts them.</summary>
    public Action<InterprocessorInterrupt>? InterprocessorInterruptSent { get; set; }

    /// <summary>Fixed interrupts that arrived while the APIC was software- or hardware-disabled, or with a vector below 16.</summary>
    public long DroppedInterrupts { get; private set; }

    /// <summary>Accesses that were not a 32-bit read or write of a register (the SDM leaves them undefined; they do nothing).</summary>
    public long IgnoredAccesses { get; private set; }

    /// <summary>The 8259 pair that answers INTA when LINT0 is in ExtINT mode.</summary>
    public void ConnectExternalController(IExternalInterruptController controller) => _externalController = controller;

    public byte Id
    {
        get
        {
            lock (_gate)
            {
                return _id;
            }
        }
    }

    /// <summary>The power-up state (SDM 11.4.7.1): LVTs masked, APIC software-disabled, nothing pending.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _apicBase = DefaultBaseAddress | ApicBaseEnable | (_bootstrap ? ApicBaseBootstrap : 0);
            _taskPriority = 0;
            _logicalDestination = 0;
            _destinationFormat = 0xFFFF_FFFF;
            _spuriousVector = 0xFF;
            _errorStatus = _errorsSinceLatch = 0;
            _icrLow = _icrHigh = 0;
            _irr.Clear();
            _isr.Clear();
            _tmr.Clear();
            Array.Fill(_lvt, LvtMasked);
            if (_bootstrap)
            {
                _lvt[LvtLint0Index] = (uint)ApicDeliveryMode.ExtInt << 8; // virtual wire, as KVM resets it
            }
            _nmiPending = _initPending = false;
            _startupVector = -1;
            ResetTimer();
        }
    }

    /// <summary>IA32_APIC_BASE (MSR 0x1B). Writing false back for a value means #GP: setting x2APIC mode or a reserved bit.</summary>
    public ulong ApicBaseMsr
    {
        get
        {
            lock (_gate)
            {
                return _apicBase;
            }
        }
    }

    /// <summary>A WRMSR to IA32_APIC_BASE; false when the CPU must raise #GP (x2APIC is not offered, reserved bits set).</summary>
    public bool TryWriteApicBaseMsr(ulong value)
    {
        const ulong writable = 0x000F_FFFF_FFFF_F000ul | ApicBaseEnable | ApicBaseBootstrap;
        if ((value & ~writable) != 0 || (value & ApicBaseX2Apic) != 0)
        {
            return false;
        }
        lock (_gate)
        {
            _apicBase = value & ~ApicBaseBootstrap | (_bootstrap ? ApicBaseBootstrap : 0);
        }
        return true;
    }

    private bool HardwareEnabled => (_apicBase & ApicBaseEnable) != 0;
    private bool SoftwareEnabled => HardwareEnabled && (_spuriousVector & SoftwareEnable) != 0;

    /// <summary>The TPR as the core's CR8 reaches it (CR8 = TPR bits 7:4): the same register
    /// the guest reaches at offset 0x80, with the same effect on held interrupts.</summary>
    public byte TaskPriority
    {
        get
        {
            lock (_gate)
            {
                return _taskPriority;
            }
        }
        set
        {
            LocalApicNotifications notifications;
            lock (_gate)
            {
                notifications = WriteRegister(LocalApicRegister.TaskPriority, value);
            }
            Notify(notifications);
        }
    }

    public void Read(ulong offset, Span<byte> data)
    {
        data.Fill(0);
        if (data.Length != 4 || (offset & 0xF) != 0 || offset >= PageSize)
        {
            IgnoredAccesses++;
            return;
        }
        uint value;
        lock (_gate)
        {
            value = ReadRegister((int)offset);
        }
        BitConverter.TryWriteBytes(data, value);
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.Length != 4 || (offset & 0xF) != 0 || offset >= PageSize)
        {
            IgnoredAccesses++;
            return;
        }
        uint value = BitConverter.ToUInt32(data);
        LocalApicNotifications notifications;
        lock (_gate)
        {
            notifications = WriteRegister((int)offset, value);
        }
        Notify(notifications);
    }

    private uint ReadRegister(int offset)
    {
        switch (offset)
        {
            case LocalApicRegister.Id: return (uint)_id << 24;
            case LocalApicRegister.Version: return VersionValue;
            case LocalApicRegister.TaskPriority: return _taskPriority;
            case LocalApicRegister.ArbitrationPriority or LocalApicRegister.RemoteRead or LocalApicRegister.EndOfInterrupt: return 0;
            case LocalApicRegister.ProcessorPriority: return ProcessorPriority;
            case LocalApicRegister.LogicalDestination: return _logicalDestination;
            case LocalApicRegister.DestinationFormat: return _destinationFormat;
            case LocalApicRegister.SpuriousVector: return _spuriousVector;
            case >= LocalApicRegister.InService and < LocalApicRegister.TriggerMode: return _isr.Word((offset - LocalApicRegister.InService) >> 4);
            case >= LocalApicRegister.TriggerMode and < LocalApicRegister.InterruptRequest: return _tmr.Word((offset - LocalApicRegister.TriggerMode) >> 4);
            case >= LocalApicRegister.InterruptRequest and < LocalApicRegister.ErrorStatus: return _irr.Word((offset - LocalApicRegister.InterruptRequest) >> 4);
            case LocalApicRegister.ErrorStatus: return _errorStatus;
            case LocalApicRegister.InterruptCommandLow: return _icrLow; // delivery status (bit 12) is always idle: sends complete at once
            case LocalApicRegister.InterruptCommandHigh: return _icrHigh;
            case >= LocalApicRegister.LvtTimer and <= LocalApicRegister.LvtError: return _lvt[(offset - LocalApicRegister.LvtTimer) >> 4];
            case LocalApicRegister.TimerInitialCount: return _timerInitialCount;
            case LocalApicRegister.TimerCurrentCount: return TimerCurrentCount(_clock.NowNanoseconds);
            case LocalApicRegister.TimerDivide: return _timerDivide;
            default:
                RecordError(IllegalRegisterAddress);
                return 0;
        }
    }

    private LocalApicNotifications WriteRegister(int offset, uint value)
    {
        var notifications = LocalApicNotifications.None;
        switch (offset)
        {
            case LocalApicRegister.Id:
                _id = (byte)(value >> 24);
                break;
            case LocalApicRegister.TaskPriority:
                _taskPriority = (byte)value;
                notifications.Wake = HighestDeliverableVectorLocked() >= 0; // a lower TPR may release a held interrupt
                break;
            case LocalApicRegister.EndOfInterrupt:
                notifications.EoiBroadcastVector = EndOfInterruptLocked();
                notifications.Wake = HighestDeliverableVectorLocked() >= 0;
                break;
            case LocalApicRegister.LogicalDestination:
                _logicalDestination = value & 0xFF00_0000;
                break;
            case LocalApicRegister.DestinationFormat:
                _destinationFormat = value | 0x0FFF_FFFF;
                break;
            case LocalApicRegister.SpuriousVector:
                WriteSpuriousVector(value);
                break;
            case LocalApicRegister.ErrorStatus:
                // A write latches the errors seen since the last write into the readable register.
                _errorStatus = _errorsSinceLatch;
                _errorsSinceLatch = 0;
                break;
            case LocalApicRegister.InterruptCommandLow:
                notifications = SendInterprocessorInterrupt(value);
                break;
            case LocalApicRegister.InterruptCommandHigh:
                _icrHigh = value & 0xFF00_0000;
                break;
            case >= LocalApicRegister.LvtTimer and <= LocalApicRegister.LvtError:
                notifications.Wake = WriteLvt((offset - LocalApicRegister.LvtTimer) >> 4, value);
                break;
            case LocalApicRegister.TimerInitialCount:
                WriteTimerInitialCount(value);
                break;
            case LocalApicRegister.TimerDivide:
                WriteTimerDivide(value);
                break;
            case LocalApicRegister.Version or LocalApicRegister.ArbitrationPriority or LocalApicRegister.ProcessorPriority or
                LocalApicRegister.RemoteRead or LocalApicRegister.TimerCurrentCount or
                (>= LocalApicRegister.InService and < LocalApicRegister.ErrorStatus):
                break; // read-only: writes are ignored
            default:
                RecordError(IllegalRegisterAddress);
                break;
        }
        notifications.Wake |= TakeErrorInterrupt();
        return notifications;
    }

    private void WriteSpuriousVector(uint value)
    {
        // Vector, software enable, focus checking (bit 9, ignored: one processor); EOI-broadcast suppression is not offered.
        _spuriousVector = value & 0x3FF;
        if ((_spuriousVector & SoftwareEnable) == 0)
        {
            for (int index = 0; index < LvtCount; index++)
            {
                _lvt[index] |= LvtMasked; // SDM 11.4.7.2: software disable masks every LVT entry
            }
        }
    }

    private bool WriteLvt(int index, uint value)
    {
        uint writable = index switch
        {
            LvtTimerIndex => 0x0007_00FF, // vector, mask, timer mode
            LvtLint0Index or LvtLint1Index => 0x0001_A7FF, // vector, delivery mode, polarity, trigger, mask (remote IRR is read-only)
            LvtErrorIndex => 0x0001_00FF,
            _ => 0x0001_07FF, // thermal, performance: vector, delivery mode, mask
        };
        uint updated = _lvt[index] & ~writable | value & writable;
        if (!SoftwareEnabled)
        {
            updated |= LvtMasked;
        }
        if (index == LvtTimerIndex)
        {
            return WriteLvtTimer(updated);
        }
        _lvt[index] = updated;
        return false;
    }

    private void Notify(LocalApicNotifications notifications)
    {
        if (notifications.Ipi is { } ipi)
        {
            InterprocessorInterruptSent?.Invoke(ipi);
        }
        if (notifications.EoiBroadcastVector >= 0)
        {
            LevelTriggeredEoi?.Invoke((byte)notifications.EoiBroadcastVector);
        }
        if (notifications.Wake)
        {
            InterruptPending?.Invoke();
        }
    }
}
