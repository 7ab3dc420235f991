using Turnstone.Hypervisor.Interop;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Hypervisor;

/// <summary>Our request numbers (Interop/KvmIoctls.cs) against the macros in linux/kvm.h.</summary>
public sealed class KvmIoctlsTests
{
    private static readonly Dictionary<string, nuint> Ours = new()
    {
        ["KVM_RUN"] = KvmIoctls.Run,
        ["KVM_GET_REGS"] = KvmIoctls.GetRegs,
        ["KVM_SET_REGS"] = KvmIoctls.SetRegs,
        ["KVM_GET_SREGS"] = KvmIoctls.GetSregs,
        ["KVM_SET_SREGS"] = KvmIoctls.SetSregs,
        ["KVM_SET_USER_MEMORY_REGION"] = KvmIoctls.SetUserMemoryRegion,
        ["KVM_GET_SUPPORTED_CPUID"] = KvmIoctls.GetSupportedCpuid,
        ["KVM_SET_CPUID2"] = KvmIoctls.SetCpuid2,
        ["KVM_GET_VCPU_EVENTS"] = KvmIoctls.GetVcpuEvents,
        ["KVM_SET_VCPU_EVENTS"] = KvmIoctls.SetVcpuEvents,
        ["KVM_SET_GUEST_DEBUG"] = KvmIoctls.SetGuestDebug,
        ["KVM_CREATE_PIT2"] = KvmIoctls.CreatePit2,
        ["KVM_IRQ_LINE"] = KvmIoctls.IrqLine,
        ["KVM_GET_XSAVE"] = KvmIoctls.GetXsave,
        ["KVM_SET_XSAVE"] = KvmIoctls.SetXsave,
        ["KVM_GET_XCRS"] = KvmIoctls.GetXcrs,
        ["KVM_GET_FPU"] = KvmIoctls.GetFpu,
        ["KVM_SET_FPU"] = KvmIoctls.SetFpu,
        ["KVM_GET_MSRS"] = KvmIoctls.GetMsrs,
        ["KVM_SET_MSRS"] = KvmIoctls.SetMsrs,
        ["KVM_SET_IDENTITY_MAP_ADDR"] = KvmIoctls.SetIdentityMapAddr,
        ["KVM_CREATE_VCPU"] = KvmIoctls.CreateVcpu,
        ["KVM_CREATE_VM"] = KvmIoctls.CreateVm,
        ["KVM_SET_TSS_ADDR"] = KvmIoctls.SetTssAddr,
        ["KVM_CREATE_IRQCHIP"] = KvmIoctls.CreateIrqchip,
        ["KVM_GET_API_VERSION"] = KvmIoctls.GetApiVersion,
        ["KVM_CHECK_EXTENSION"] = KvmIoctls.CheckExtension,
        ["KVM_GET_VCPU_MMAP_SIZE"] = KvmIoctls.GetVcpuMmapSize,
        ["KVM_GET_DIRTY_LOG"] = KvmIoctls.GetDirtyLog,
        ["KVM_CLEAR_DIRTY_LOG"] = KvmIoctls.ClearDirtyLog,
        ["KVM_ENABLE_CAP"] = KvmIoctls.EnableCap,
        ["KVM_IOEVENTFD"] = KvmIoctls.IoEventFd,
        ["KVM_SIGNAL_MSI"] = KvmIoctls.SignalMsi,
        ["KVM_IRQFD"] = KvmIoctls.IrqFd,
    };

    public static TheoryData<string> Requests => new(KvmHeaderProbe.Ioctls);

    [Theory]
    [MemberData(nameof(Requests))]
    public void Request_number_matches_the_kernel_header(string name)
    {
        Assert.Equal($"0x{KvmHeaderProbe.IoctlNumber(name):x8}", $"0x{(ulong)Ours[name]:x8}");
    }

    // _IOW(KVMIO, nr, struct) = 1 << 30 | sizeof << 16 | 0xAE << 8 | nr, with the sizes of
    // kvm_ioeventfd (8 + 8 + 4 + 4 + 4 + 36 = 64), kvm_msi (5 * 4 + 12 = 32) and kvm_irqfd (4 * 4 + 16 = 32).
    // A second reference that needs no compiler: these were added by hand after reading the header.
    [Theory]
    [InlineData("KVM_IOEVENTFD", 0x4040_AE79u)]
    [InlineData("KVM_SIGNAL_MSI", 0x4020_AEA5u)]
    [InlineData("KVM_IRQFD", 0x4020_AE76u)]
    public void Notification_request_number_matches_the_hand_computed_value(string name, uint expected)
    {
        Assert.Equal($"0x{expected:x8}", $"0x{(ulong)Ours[name]:x8}");
    }

    [Fact]
    public void Request_numbers_are_distinct()
    {
        Assert.Equal(Ours.Count, Ours.Values.Distinct().Count());
    }
}
