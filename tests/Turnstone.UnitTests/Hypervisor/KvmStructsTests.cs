using System.Runtime.CompilerServices;
using Turnstone.Hypervisor.Interop;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Hypervisor;

/// <summary>Our mirrors of the KVM structures (Interop/KvmStructs.cs) against linux/kvm.h, compiled at test time.</summary>
public sealed class KvmStructsTests
{
    private delegate ref TField FieldOf<T, TField>(ref T value);

    private static readonly Dictionary<string, int> ManagedSizes = new()
    {
        ["kvm_regs"] = Unsafe.SizeOf<KvmRegs>(),
        ["kvm_sregs"] = Unsafe.SizeOf<KvmSregs>(),
        ["kvm_segment"] = Unsafe.SizeOf<KvmSegment>(),
        ["kvm_dtable"] = Unsafe.SizeOf<KvmDtable>(),
        ["kvm_cpuid_entry2"] = Unsafe.SizeOf<KvmCpuidEntry2>(),
        ["kvm_cpuid2"] = Unsafe.SizeOf<KvmCpuid2Header>(),
        ["kvm_msr_entry"] = Unsafe.SizeOf<KvmMsrEntry>(),
        ["kvm_msrs"] = Unsafe.SizeOf<KvmMsrsHeader>(),
        ["kvm_fpu"] = Unsafe.SizeOf<KvmFpu>(),
        ["kvm_vcpu_events"] = Unsafe.SizeOf<KvmVcpuEvents>(),
        ["kvm_guest_debug"] = Unsafe.SizeOf<KvmGuestDebug>(),
        ["kvm_xsave"] = Unsafe.SizeOf<KvmXsave>(),
        ["kvm_xcrs"] = Unsafe.SizeOf<KvmXcrs>(),
        ["kvm_pit_config"] = Unsafe.SizeOf<KvmPitConfig>(),
        ["kvm_userspace_memory_region"] = Unsafe.SizeOf<KvmUserspaceMemoryRegion>(),
        ["kvm_irq_level"] = Unsafe.SizeOf<KvmIrqLevel>(),
        ["kvm_dirty_log"] = Unsafe.SizeOf<KvmDirtyLog>(),
        ["kvm_clear_dirty_log"] = Unsafe.SizeOf<KvmClearDirtyLog>(),
        ["kvm_enable_cap"] = Unsafe.SizeOf<KvmEnableCap>(),
        ["kvm_ioeventfd"] = Unsafe.SizeOf<KvmIoEventFd>(),
        ["kvm_msi"] = Unsafe.SizeOf<KvmMsi>(),
        ["kvm_irqfd"] = Unsafe.SizeOf<KvmIrqFd>(),
    };

    private static readonly Dictionary<string, int> ManagedOffsets = new()
    {
        ["kvm_regs.rip"] = OffsetOf<KvmRegs, ulong>(static (ref KvmRegs r) => ref r.Rip),
        ["kvm_regs.rflags"] = OffsetOf<KvmRegs, ulong>(static (ref KvmRegs r) => ref r.Rflags),
        ["kvm_regs.r15"] = OffsetOf<KvmRegs, ulong>(static (ref KvmRegs r) => ref r.R15),
        ["kvm_segment.selector"] = OffsetOf<KvmSegment, ushort>(static (ref KvmSegment s) => ref s.Selector),
        ["kvm_segment.type"] = OffsetOf<KvmSegment, byte>(static (ref KvmSegment s) => ref s.Type),
        ["kvm_segment.present"] = OffsetOf<KvmSegment, byte>(static (ref KvmSegment s) => ref s.Present),
        ["kvm_segment.l"] = OffsetOf<KvmSegment, byte>(static (ref KvmSegment s) => ref s.L),
        ["kvm_segment.unusable"] = OffsetOf<KvmSegment, byte>(static (ref KvmSegment s) => ref s.Unusable),
        ["kvm_sregs.gdt"] = OffsetOf<KvmSregs, KvmDtable>(static (ref KvmSregs s) => ref s.Gdt),
        ["kvm_sregs.idt"] = OffsetOf<KvmSregs, KvmDtable>(static (ref KvmSregs s) => ref s.Idt),
        ["kvm_sregs.cr0"] = OffsetOf<KvmSregs, ulong>(static (ref KvmSregs s) => ref s.Cr0),
        ["kvm_sregs.cr3"] = OffsetOf<KvmSregs, ulong>(static (ref KvmSregs s) => ref s.Cr3),
        ["kvm_sregs.efer"] = OffsetOf<KvmSregs, ulong>(static (ref KvmSregs s) => ref s.Efer),
        ["kvm_sregs.apic_base"] = OffsetOf<KvmSregs, ulong>(static (ref KvmSregs s) => ref s.ApicBase),
        // interrupt_bitmap is a fixed buffer right after apic_base.
        ["kvm_sregs.interrupt_bitmap"] = OffsetOf<KvmSregs, ulong>(static (ref KvmSregs s) => ref s.ApicBase) + 8,
        ["kvm_dtable.limit"] = OffsetOf<KvmDtable, ushort>(static (ref KvmDtable d) => ref d.Limit),
        ["kvm_cpuid_entry2.flags"] = OffsetOf<KvmCpuidEntry2, uint>(static (ref KvmCpuidEntry2 e) => ref e.Flags),
        ["kvm_cpuid_entry2.eax"] = OffsetOf<KvmCpuidEntry2, uint>(static (ref KvmCpuidEntry2 e) => ref e.Eax),
        ["kvm_cpuid_entry2.edx"] = OffsetOf<KvmCpuidEntry2, uint>(static (ref KvmCpuidEntry2 e) => ref e.Edx),
        ["kvm_msr_entry.data"] = OffsetOf<KvmMsrEntry, ulong>(static (ref KvmMsrEntry e) => ref e.Data),
        ["kvm_fpu.fcw"] = OffsetOf<KvmFpu, ushort>(static (ref KvmFpu f) => ref f.Fcw),
        ["kvm_fpu.last_ip"] = OffsetOf<KvmFpu, ulong>(static (ref KvmFpu f) => ref f.LastIp),
        // xmm is a fixed buffer right after last_dp.
        ["kvm_fpu.xmm"] = OffsetOf<KvmFpu, ulong>(static (ref KvmFpu f) => ref f.LastDp) + 8,
        ["kvm_fpu.mxcsr"] = OffsetOf<KvmFpu, uint>(static (ref KvmFpu f) => ref f.Mxcsr),
        ["kvm_vcpu_events.exception.error_code"] = OffsetOf<KvmVcpuEvents, uint>(static (ref KvmVcpuEvents e) => ref e.ExceptionErrorCode),
        ["kvm_vcpu_events.interrupt.injected"] = OffsetOf<KvmVcpuEvents, byte>(static (ref KvmVcpuEvents e) => ref e.InterruptInjected),
        ["kvm_vcpu_events.nmi.injected"] = OffsetOf<KvmVcpuEvents, byte>(static (ref KvmVcpuEvents e) => ref e.NmiInjected),
        ["kvm_vcpu_events.sipi_vector"] = OffsetOf<KvmVcpuEvents, uint>(static (ref KvmVcpuEvents e) => ref e.SipiVector),
        ["kvm_vcpu_events.flags"] = OffsetOf<KvmVcpuEvents, uint>(static (ref KvmVcpuEvents e) => ref e.Flags),
        ["kvm_vcpu_events.smi.smm"] = OffsetOf<KvmVcpuEvents, byte>(static (ref KvmVcpuEvents e) => ref e.SmiSmm),
        // Reserved27 then covers triple_fault.pending (newer headers) and reserved[], up to exception_has_payload.
        ["kvm_vcpu_events.smi.latched_init"] = OffsetOf<KvmVcpuEvents, byte>(static (ref KvmVcpuEvents e) => ref e.SmiLatchedInit),
        ["kvm_vcpu_events.exception_has_payload"] = OffsetOf<KvmVcpuEvents, byte>(static (ref KvmVcpuEvents e) => ref e.ExceptionHasPayload),
        ["kvm_vcpu_events.exception_payload"] = OffsetOf<KvmVcpuEvents, ulong>(static (ref KvmVcpuEvents e) => ref e.ExceptionPayload),
        // debugreg and xcrs are fixed buffers after an 8-byte header.
        ["kvm_guest_debug.arch.debugreg"] = OffsetOf<KvmGuestDebug, uint>(static (ref KvmGuestDebug d) => ref d.Pad) + 4,
        ["kvm_xcrs.xcrs"] = OffsetOf<KvmXcrs, uint>(static (ref KvmXcrs x) => ref x.Flags) + 4,
        ["kvm_xcrs.padding"] = OffsetOf<KvmXcrs, uint>(static (ref KvmXcrs x) => ref x.Flags) + 4 + 32 * 8,
        ["kvm_userspace_memory_region.guest_phys_addr"] =
            OffsetOf<KvmUserspaceMemoryRegion, ulong>(static (ref KvmUserspaceMemoryRegion r) => ref r.GuestPhysAddr),
        ["kvm_userspace_memory_region.userspace_addr"] =
            OffsetOf<KvmUserspaceMemoryRegion, ulong>(static (ref KvmUserspaceMemoryRegion r) => ref r.UserspaceAddr),
        ["kvm_ioeventfd.addr"] = OffsetOf<KvmIoEventFd, ulong>(static (ref KvmIoEventFd e) => ref e.Address),
        ["kvm_ioeventfd.len"] = OffsetOf<KvmIoEventFd, uint>(static (ref KvmIoEventFd e) => ref e.Length),
        ["kvm_ioeventfd.fd"] = OffsetOf<KvmIoEventFd, int>(static (ref KvmIoEventFd e) => ref e.Fd),
        ["kvm_ioeventfd.flags"] = OffsetOf<KvmIoEventFd, KvmIoEventFdFlags>(static (ref KvmIoEventFd e) => ref e.Flags),
        // pad is a fixed buffer right after flags.
        ["kvm_ioeventfd.pad"] = OffsetOf<KvmIoEventFd, KvmIoEventFdFlags>(static (ref KvmIoEventFd e) => ref e.Flags) + 4,
        ["kvm_msi.address_hi"] = OffsetOf<KvmMsi, uint>(static (ref KvmMsi m) => ref m.AddressHigh),
        ["kvm_msi.data"] = OffsetOf<KvmMsi, uint>(static (ref KvmMsi m) => ref m.Data),
        ["kvm_msi.flags"] = OffsetOf<KvmMsi, uint>(static (ref KvmMsi m) => ref m.Flags),
        ["kvm_msi.devid"] = OffsetOf<KvmMsi, uint>(static (ref KvmMsi m) => ref m.DeviceId),
        ["kvm_msi.pad"] = OffsetOf<KvmMsi, uint>(static (ref KvmMsi m) => ref m.DeviceId) + 4,
        ["kvm_irqfd.gsi"] = OffsetOf<KvmIrqFd, uint>(static (ref KvmIrqFd i) => ref i.Gsi),
        ["kvm_irqfd.flags"] = OffsetOf<KvmIrqFd, KvmIrqFdFlags>(static (ref KvmIrqFd i) => ref i.Flags),
        ["kvm_irqfd.resamplefd"] = OffsetOf<KvmIrqFd, uint>(static (ref KvmIrqFd i) => ref i.ResampleFd),
        ["kvm_irqfd.pad"] = OffsetOf<KvmIrqFd, uint>(static (ref KvmIrqFd i) => ref i.ResampleFd) + 4,
    };

    // Sizes as read off linux/kvm.h by hand, a reference that needs no compiler.
    [Theory]
    [InlineData("kvm_ioeventfd", 64)]
    [InlineData("kvm_msi", 32)]
    [InlineData("kvm_irqfd", 32)]
    public void Notification_structure_has_the_hand_computed_size(string structName, int size)
    {
        Assert.Equal(size, ManagedSizes[structName]);
    }

    public static TheoryData<string> Structs => new(KvmHeaderProbe.Structs);

    public static TheoryData<string> StructFields => new(KvmHeaderProbe.Fields.Where(f => !f.StartsWith("kvm_run.", StringComparison.Ordinal)));

    [Theory]
    [MemberData(nameof(Structs))]
    public void Size_matches_the_kernel_header(string structName)
    {
        Assert.Equal(KvmHeaderProbe.SizeOf(structName), (ulong)ManagedSizes[structName]);
    }

    [Theory]
    [MemberData(nameof(StructFields))]
    public void Field_offset_matches_the_kernel_header(string field)
    {
        Assert.Equal(KvmHeaderProbe.OffsetOf(field), (ulong)ManagedOffsets[field]);
    }

    [Fact]
    public void Every_mirrored_structure_is_checked()
    {
        Assert.Equal(KvmHeaderProbe.Structs.Order(), ManagedSizes.Keys.Order());
    }

    private static int OffsetOf<T, TField>(FieldOf<T, TField> field) where T : struct
    {
        T value = default;
        return (int)Unsafe.ByteOffset(ref Unsafe.As<T, byte>(ref value), ref Unsafe.As<TField, byte>(ref field(ref value)));
    }
}
