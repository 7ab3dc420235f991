using Turnstone.Engine;
using Turnstone.Firmware.Elf;
using Turnstone.GuestMemory;

namespace Turnstone.Components;

/// <summary>
/// The engine side of a component: a machine with its RAM at 0 and one vCPU (a KVM VM, or the
/// software CPU), created on, and run only by, one <see cref="ComponentWorker"/> thread. It can
/// outlive the component that used it: <see cref="ComponentRuntime"/> wipes it (every page
/// discarded, so the next guest reads zeros) and gives it to the next component of the same memory
/// size, whose <see cref="Load"/> then rewrites every page it maps and every vCPU register. Under
/// KVM that skips the VM and vCPU creation and destruction, most of a component's create+destroy
/// time on nested hosts.
/// </summary>
internal sealed class ComponentMachine : IDisposable
{
    private readonly IEngineMachine _machine;
    private byte[] _snapshotPages = [];
    private int[]? _snapshotPageSlots;

    private ComponentMachine(IEngineMachine machine)
    {
        _machine = machine;
    }

    public IEngineVcpu Vcpu => _machine.Vcpu;
    public EngineKind Engine => _machine.Engine;
    public ulong MemorySize => _machine.MemorySize;
    public ulong PageCount => MemorySize / ComponentLayout.PageSize;
    /// <summary>Reading the dirty log leaves pages logged and writable until <see cref="ForgetDirtyPages"/>.</summary>
    public bool ManualDirtyLog => _machine.ManualDirtyLog;
    /// <summary>How many components this machine has run (1 for a fresh one).</summary>
    public int Generation { get; private set; }
    public IGuestMemory Memory => _machine.Memory;

    /// <summary>
    /// A buffer of at least <paramref name="length"/> bytes for the snapshot of the component now on
    /// this machine, kept for the next one: a fresh large array each time costs its allocation,
    /// zeroing and first-touch page faults, most of taking a snapshot. One component at a time uses it.
    /// </summary>
    public byte[] SnapshotBuffer(int length)
    {
        if (_snapshotPages.Length < length)
        {
            _snapshotPages = new byte[length];
        }
        return _snapshotPages;
    }

    /// <summary>The snapshot's map from guest page to its copy (one entry per page), kept like <see cref="SnapshotBuffer"/>.</summary>
    public int[] SnapshotPageSlots() => _snapshotPageSlots ??= new int[PageCount];

    /// <summary>The engine logs the guest's writes to RAM always: snapshot restore needs the log.</summary>
    public static ComponentMachine Create(IExecutionEngine engine, ulong memorySize) => new(engine.CreateMachine(memorySize));

    /// <summary>Writes the component into zeroed memory and sets every register for its entry at CPL 3.</summary>
    public void Load(ElfImage image, ComponentAddressSpace space)
    {
        if (space.MemorySize != MemorySize)
        {
            throw new InvalidOperationException($"a {MemorySize >> 20} MiB machine cannot hold a {space.MemorySize >> 20} MiB component");
        }
        Generation++;
        foreach (var segment in image.Segments)
        {
            Memory.Write(segment.VirtualAddress, image.File.Span.Slice((int)segment.FileOffset, (int)segment.FileSize));
        }
        ComponentPageTables.Write(Memory, space);
        ComponentShim.Write(Memory);
        Vcpu.SetSystemRegisters(UserModeRegisters);
        Vcpu.ResetExtendedStateAndEvents();
        Vcpu.SetRegisters(new GeneralRegisters { Rip = space.Entry, Rsp = space.StackTop, Rflags = 0x202 });
    }

    /// <summary>Discards all guest memory and the dirty log, ready for the next <see cref="Load"/>.</summary>
    public void Wipe()
    {
        _machine.DiscardMemory();
        var dirty = new ulong[(PageCount + 63) / 64];
        TakeDirtyPages(dirty);
        ForgetDirtyPages(dirty);
    }

    /// <summary>The pages the guest wrote since they were last forgotten (one bit per page).</summary>
    public void TakeDirtyPages(Span<ulong> bitmap) => _machine.TakeDirtyPages(bitmap);

    /// <summary>Logs the pages in <paramref name="bitmap"/> afresh from now on (under KVM: write-protects
    /// them again; without manual protection, reading the log already did that).</summary>
    public void ForgetDirtyPages(Span<ulong> bitmap) => _machine.ForgetDirtyPages(bitmap);

    private static readonly SystemRegisters UserModeRegisters = new()
    {
        Cs = new SegmentState(ComponentShim.UserCode, 0, 0xFFFF_FFFF, 0xA0FB), // 64-bit code, DPL 3, G
        Ds = UserData, Es = UserData, Fs = UserData, Gs = UserData, Ss = UserData,
        Gdt = new DescriptorTable(ComponentLayout.Gdt, ComponentShim.GdtLimit),
        Idt = new DescriptorTable(ComponentLayout.Idt, ComponentShim.IdtLimit),
        Tr = new SegmentState(ComponentShim.TaskState, ComponentLayout.Tss, ComponentShim.TaskStateLimit, 0x8B), // busy 64-bit TSS
        Ldt = SegmentState.UnusableSegment,
        Cr0 = 0x8005_0033, // PE MP ET NE WP PG
        Cr2 = 0,
        Cr3 = ComponentLayout.Pml4,
        Cr4 = 0x620, // PAE, OSFXSR, OSXMMEXCPT
        Efer = 0xD00, // LME, LMA, NXE; no SCE: SYSCALL is not a way out of a component
    };

    private static SegmentState UserData => new(ComponentShim.UserData, 0, 0xFFFF_FFFF, 0xC0F3); // data, DPL 3, D/B, G

    public void Dispose() => _machine.Dispose();
}
