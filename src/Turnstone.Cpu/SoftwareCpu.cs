using System.Diagnostics;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

/// <summary>
/// One x86-64 vCPU interpreted in C#: decoded once per guest-physical block with Iced, dispatched
/// on a compact instruction form, with lazy flags and a software TLB in front of guest RAM.
/// <see cref="Run"/> executes until something needs the host (port I/O, MMIO, HLT, shutdown,
/// an instruction not implemented yet, the budget, a stop request). Not thread-safe except for
/// <see cref="RequestStop"/>; one thread runs it.
/// </summary>
/// <remarks>
/// Implemented so far: real mode, 16/32-bit protected mode, compatibility mode and 64-bit long mode (see README.md in this folder for the
/// list, and what is not implemented yet).
/// </remarks>
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>Register-file slot that always reads 0 ("no base", "no index").</summary>
    internal const int ZeroRegister = 16;
    /// <summary>Register-file slot holding the linear RIP of the running block's first byte.</summary>
    internal const int BlockRipRegister = 17;
    /// <summary>8-bit register numbers 32-35 are AH, CH, DH, BH.</summary>
    internal const int HighByteRegister = 32;
    /// <summary>Segment slot whose base is always 0 (every segment but FS and GS in 64-bit mode).</summary>
    internal const int FlatSegmentSlot = 6;

    private readonly GuestPhysicalMemory _memory;
    /// <summary>The register file (slots 0-17) and the values translated blocks need after it (Native/NativeState.cs);
    /// pinned, so host code reaches it at a fixed address.</summary>
    private readonly ulong[] _registers = GC.AllocateArray<ulong>(Native.NativeState.Slots, pinned: true);
    private ulong _rip;

    private readonly SegmentRegister[] _segments = new SegmentRegister[6];
    /// <summary>The base each decoded segment slot adds to an effective address (FS, GS; slot 6 is 0).</summary>
    private readonly ulong[] _segmentBase = GC.AllocateArray<ulong>(8, pinned: true);
    private DescriptorTableRegister _gdtr;
    private DescriptorTableRegister _idtr;
    private SegmentRegister _ldtr;
    private SegmentRegister _tr;
    private int _cpl;

    private ulong _cr0 = Cr0Bits.ExtensionType | Cr0Bits.NotWriteThrough | Cr0Bits.CacheDisable;
    private ulong _cr2;
    private ulong _cr3;
    private ulong _cr4;
    private ulong _cr8;
    private ulong _efer;

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _tscOffset;

    private ulong _star, _lstar, _cstar, _syscallFlagMask, _kernelGsBase, _tscAux;
    private ulong _apicBase = 0xFEE0_0900;
    private ulong _miscEnable = 1;
    private ulong _pat = 0x0007_0406_0007_0406;
    private ulong _tscDeadline, _sysenterCs, _sysenterEsp, _sysenterEip;

    private int _stopRequested;
    private bool _interruptRequested;
    private byte _requestedVector;
    private bool _halted;
    private bool _interruptWindowExitRequested;
    private ILocalApicConnection? _localApic;
    /// <summary>The instruction after STI or MOV SS runs before an interrupt is taken.</summary>
    private bool _interruptShadow;

    /// <summary>Creates a CPU whose control registers, segments and RIP the caller sets before
    /// <see cref="Run"/> (for any mode), or puts in a start state with <see cref="ResetArchitectural"/>
    /// or <see cref="ResetForBootSector"/>.</summary>
    /// <param name="jumpCacheEntries">Jump-cache entries per privilege, a power of two: more for
    /// guests with much code in use at once (a distribution's boot), fewer for small, short-lived
    /// machines, whose creation pays for clearing them.</param>
    /// <param name="tlbEntries">Entries of each of the six TLB sets, a power of two: more for guests
    /// whose many processes touch much memory, at the price of clearing them at creation and at
    /// each CR3 write.</param>
    public SoftwareCpu(GuestPhysicalMemory memory, int jumpCacheEntries = DefaultJumpCacheEntries, int tlbEntries = DefaultTlbEntries)
    {
        RequireTableSize(jumpCacheEntries, nameof(jumpCacheEntries));
        RequireTableSize(tlbEntries, nameof(tlbEntries));
        _jumpCacheMask = jumpCacheEntries - 1;
        _jumpCache = new JumpCacheEntry[2 * jumpCacheEntries];
        _tlbSetSize = tlbEntries;
        _tlbSetMask = tlbEntries - 1;
        _tlb = GC.AllocateArray<TlbEntry>(6 * tlbEntries, pinned: true);
        _memory = memory;
        _memory.CodePageWritten += OnCodePageWritten;
        _memory.DirtyPagesForgotten += FlushWriteTranslations;
        _segmentBase[FlatSegmentSlot] = 0;
        InitializeNativeState();
        _rflags = RflagsBits.Fixed;
        FlushTlb();
        SetCpl(0);
    }

    private static void RequireTableSize(int entries, string name)
    {
        if (entries < 16 || !System.Numerics.BitOperations.IsPow2(entries))
        {
            throw new ArgumentOutOfRangeException(name, entries, "a power of two of at least 16");
        }
    }

    public GuestPhysicalMemory Memory => _memory;

    /// <summary>The TSC's frequency in Hz, as CPUID leaf 0x15 reports it.</summary>
    public const long TscFrequency = 1_000_000_000;

    /// <summary>Instructions retired since creation.</summary>
    public ulong InstructionsRetired { get; private set; }

    public ulong GetRegister(GeneralRegister register) => _registers[(int)register];

    public void SetRegister(GeneralRegister register, ulong value) => _registers[(int)register] = value;

    public ulong Rip
    {
        get => _rip;
        set => _rip = value;
    }

    /// <summary>RFLAGS with the lazily kept arithmetic flags computed.</summary>
    public ulong Rflags
    {
        get => MaterializeFlags();
        set => SetFlagsRegister(value);
    }

    public ulong Cr0
    {
        get => _cr0;
        set { _cr0 = value; UpdateLongModeActive(); UpdateSseBlocked(); FlushTlb(); }
    }

    public ulong Cr2
    {
        get => _cr2;
        set => _cr2 = value;
    }

    public ulong Cr3
    {
        get => _cr3;
        set { _cr3 = value; FlushTlb(); }
    }

    public ulong Cr4
    {
        get => _cr4;
        set { _cr4 = value; UpdateSseBlocked(); FlushTlb(); }
    }

    /// <summary>CR8: with a local APIC connected, its task-priority class (TPR bits 7:4, so the two
    /// stay one register); without one, kept here and prioritising nothing.</summary>
    public ulong Cr8
    {
        get => _localApic?.TaskPriorityClass ?? _cr8;
        set
        {
            if (_localApic is { } apic)
            {
                apic.TaskPriorityClass = value & 0xF;
            }
            else
            {
                _cr8 = value & 0xF;
            }
        }
    }

    public ulong Efer
    {
        get => _efer;
        set { _efer = value; UpdateLongModeActive(); FlushTlb(); }
    }

    public DescriptorTableRegister Gdtr
    {
        get => _gdtr;
        set => _gdtr = value;
    }

    public DescriptorTableRegister Idtr
    {
        get => _idtr;
        set => _idtr = value;
    }

    public SegmentRegister Ldtr
    {
        get => _ldtr;
        set => _ldtr = value;
    }

    public SegmentRegister Tr
    {
        get => _tr;
        set => _tr = value;
    }

    /// <summary>The current privilege level (CS's DPL).</summary>
    public int Cpl => _cpl;

    public SegmentRegister GetSegment(SegmentName segment) => _segments[(int)segment];

    /// <summary>Loads a segment register's selector and hidden part as given (no descriptor checks:
    /// the host is setting state). Setting CS sets the CPL to its DPL.</summary>
    public void SetSegment(SegmentName segment, SegmentRegister value)
    {
        LoadSegmentCache(segment, value);
        if (segment == SegmentName.Cs)
        {
            SetCpl(value.Dpl);
        }
    }

    /// <summary>Reads an MSR as RDMSR would at CPL 0; false for MSRs this engine does not have.</summary>
    public bool TryReadMsr(uint index, out ulong value) => TryReadMsrCore(index, out value);

    /// <summary>Writes an MSR as WRMSR would at CPL 0; false when RDMSR/WRMSR would raise #GP.</summary>
    public bool TryWriteMsr(uint index, ulong value) => TryWriteMsrCore(index, value);

    /// <summary>Asks the running <see cref="Run"/> to return <see cref="CpuExitReason.StopRequested"/>
    /// at the next block boundary. Safe from any thread (Ctrl-C, component timeouts).</summary>
    public void RequestStop()
    {
        Volatile.Write(ref _stopRequested, 1);
        CallAttention();
    }

    /// <summary>Requests an external interrupt, as an interrupt controller's INTR line does: it is
    /// delivered through the IDT when RFLAGS.IF is set and no STI/MOV SS shadow is active. One
    /// vector is held; a second request replaces a vector not yet delivered.</summary>
    public void RequestInterrupt(byte vector)
    {
        _interruptRequested = true;
        _requestedVector = vector;
        CallAttention();
    }

    /// <summary>Asks <see cref="Run"/> to return <see cref="CpuExitReason.InterruptWindow"/> once the
    /// interrupt window is open (at once when it is): the host's controller holds an interrupt the
    /// core cannot take yet, and acknowledges it only when it can be delivered, as KVM's interrupt
    /// window exit lets it.</summary>
    public void RequestInterruptWindowExit() => _interruptWindowExitRequested = true;

    /// <summary>Puts a local APIC beside the core: the TSC, IA32_APIC_BASE and IA32_TSC_DEADLINE go
    /// to it, and CPUID advertises the APIC and TSC-deadline mode. Without one, CPUID reports no APIC.</summary>
    public void ConnectLocalApic(ILocalApicConnection apic)
    {
        ArgumentNullException.ThrowIfNull(apic);
        _localApic = apic;
    }

    /// <summary>True while a requested interrupt waits for IF (the host's controller may hold more).</summary>
    public bool InterruptPending => _interruptRequested;

    /// <summary>True when an interrupt requested now would be delivered before the next instruction.</summary>
    public bool InterruptWindowOpen => (_rflags & RflagsBits.If) != 0 && !_interruptShadow;

    /// <summary>True after HLT until an interrupt is delivered; the host may clear it to wake the
    /// CPU without one (an INIT, a test that reruns code).</summary>
    public bool Halted
    {
        get => _halted;
        set => _halted = value;
    }
}
