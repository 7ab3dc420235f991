using Turnstone.Firmware.Elf;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Interop;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Components;

/// <summary>
/// The KVM side of a component: a VM with its RAM at 0 and one vCPU, created on, and run only by,
/// one <see cref="ComponentWorker"/> thread. It can outlive the component that used it:
/// <see cref="ComponentRuntime"/> wipes it (every page discarded, so the next guest reads zeros)
/// and gives it to the next component of the same memory size, whose <see cref="Load"/> then
/// rewrites every page it maps and every vCPU register. That skips KVM's VM and vCPU creation and
/// destruction, most of a component's create+destroy time on nested hosts.
/// </summary>
internal sealed class ComponentMachine : IDisposable
{
    private readonly KvmSregs _resetSpecialRegisters;
    private readonly KvmXsave _resetExtendedState;

    private ComponentMachine(VirtualMachine vm, Vcpu vcpu, uint slot, ulong memorySize, bool manualDirtyLog)
    {
        ManualDirtyLog = manualDirtyLog;
        Vm = vm;
        Vcpu = vcpu;
        Slot = slot;
        MemorySize = memorySize;
        _resetSpecialRegisters = vcpu.GetSpecialRegisters();
        vcpu.GetXsave(out _resetExtendedState);
    }

    public VirtualMachine Vm { get; }
    public Vcpu Vcpu { get; }
    public uint Slot { get; }
    public ulong MemorySize { get; }
    public ulong PageCount => MemorySize / ComponentLayout.PageSize;
    /// <summary>Reading the dirty log leaves pages logged and writable until <see cref="ForgetDirtyPages"/>.</summary>
    public bool ManualDirtyLog { get; }
    /// <summary>How many components this machine has run (1 for a fresh one).</summary>
    public int Generation { get; private set; }
    public IGuestMemory Memory => Vm.Memory;

    /// <summary>
    /// KVM logs the guest's writes to RAM always: snapshot restore needs the log, and a component
    /// that keeps its state pays only one extra fault per page it first writes, never per call.
    /// </summary>
    public static ComponentMachine Create(KvmSystem kvm, KvmCpuidEntry2[] cpuid, ulong memorySize)
    {
        var vm = kvm.CreateVm();
        Vcpu? vcpu = null;
        try
        {
            bool manualDirtyLog = vm.TryEnableManualDirtyLogProtection();
            uint slot = vm.AddRam(0, memorySize, trackDirtyPages: true);
            vcpu = vm.CreateVcpu(0);
            vcpu.SetCpuid(cpuid);
            vcpu.EnableRegisterSync();
            return new ComponentMachine(vm, vcpu, slot, memorySize, manualDirtyLog);
        }
        catch
        {
            vcpu?.Dispose();
            vm.Dispose();
            throw;
        }
    }

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
        Vcpu.SetSpecialRegisters(UserModeRegisters(_resetSpecialRegisters));
        Vcpu.SetXsave(_resetExtendedState);
        Vcpu.SetEvents(default); // nothing pending: no exception, interrupt or NMI left from a previous guest
        Vcpu.SetRegisters(new KvmRegs { Rip = space.Entry, Rsp = space.StackTop, Rflags = 0x202 });
    }

    /// <summary>Discards all guest memory and the dirty log, ready for the next <see cref="Load"/>.</summary>
    public void Wipe()
    {
        Vm.Memory.Discard();
        var dirty = new ulong[(PageCount + 63) / 64];
        TakeDirtyPages(dirty);
        ForgetDirtyPages(dirty);
    }

    /// <summary>The pages the guest wrote since they were last forgotten (one bit per page).</summary>
    public void TakeDirtyPages(Span<ulong> bitmap) => Vm.TakeDirtyPages(Slot, bitmap);

    /// <summary>Write-protects the pages in <paramref name="bitmap"/> again so later writes are logged
    /// afresh. Without manual protection, reading the log already did that.</summary>
    public void ForgetDirtyPages(Span<ulong> bitmap)
    {
        if (ManualDirtyLog)
        {
            Vm.ClearDirtyPages(Slot, PageCount, bitmap);
        }
    }

    private static KvmSregs UserModeRegisters(KvmSregs sregs)
    {
        sregs.Cs = new KvmSegment { Limit = 0xFFFF_FFFF, Selector = ComponentShim.UserCode, Present = 1, Type = 0xB, Dpl = 3, S = 1, L = 1, G = 1 };
        sregs.Ds = sregs.Es = sregs.Fs = sregs.Gs = sregs.Ss =
            new KvmSegment { Limit = 0xFFFF_FFFF, Selector = ComponentShim.UserData, Present = 1, Type = 0x3, Dpl = 3, S = 1, Db = 1, G = 1 };
        sregs.Gdt = new KvmDtable { Base = ComponentLayout.Gdt, Limit = ComponentShim.GdtLimit };
        sregs.Idt = new KvmDtable { Base = ComponentLayout.Idt, Limit = ComponentShim.IdtLimit };
        sregs.Tr = new KvmSegment { Base = ComponentLayout.Tss, Limit = ComponentShim.TaskStateLimit, Selector = ComponentShim.TaskState, Type = 0xB, Present = 1 };
        sregs.Ldt = new KvmSegment { Unusable = 1 };
        sregs.Cr0 = 0x8005_0033; // PE MP ET NE WP PG
        sregs.Cr2 = 0;
        sregs.Cr3 = ComponentLayout.Pml4;
        sregs.Cr4 = 0x620; // PAE, OSFXSR, OSXMMEXCPT
        sregs.Efer = 0xD00; // LME, LMA, NXE; no SCE: SYSCALL is not a way out of a component
        return sregs;
    }

    public void Dispose()
    {
        Vcpu.Dispose();
        Vm.Dispose();
    }
}
