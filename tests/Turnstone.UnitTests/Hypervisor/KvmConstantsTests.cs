using Turnstone.Hypervisor.Interop;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Hypervisor;

/// <summary>Our capability numbers, registration flags and run-page flags (Interop/KvmIoctls.cs, KvmStructs.cs,
/// KvmRunLayout.cs) against linux/kvm.h.</summary>
public sealed class KvmConstantsTests
{
    private static readonly Dictionary<string, ulong> Ours = new()
    {
        ["KVM_CAP_IRQCHIP"] = (ulong)KvmCapability.Irqchip,
        ["KVM_CAP_USER_MEMORY"] = (ulong)KvmCapability.UserMemory,
        ["KVM_CAP_SET_TSS_ADDR"] = (ulong)KvmCapability.SetTssAddr,
        ["KVM_CAP_EXT_CPUID"] = (ulong)KvmCapability.ExtCpuid,
        ["KVM_CAP_PIT2"] = (ulong)KvmCapability.Pit2,
        ["KVM_CAP_SET_IDENTITY_MAP_ADDR"] = (ulong)KvmCapability.SetIdentityMapAddr,
        ["KVM_CAP_VCPU_EVENTS"] = (ulong)KvmCapability.VcpuEvents,
        ["KVM_CAP_SET_GUEST_DEBUG"] = (ulong)KvmCapability.SetGuestDebug,
        ["KVM_CAP_IMMEDIATE_EXIT"] = (ulong)KvmCapability.ImmediateExit,
        ["KVM_CAP_XSAVE"] = (ulong)KvmCapability.Xsave,
        ["KVM_CAP_SYNC_REGS"] = (ulong)KvmCapability.SyncRegs,
        ["KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2"] = (ulong)KvmCapability.ManualDirtyLogProtect2,
        ["KVM_CAP_IRQFD"] = (ulong)KvmCapability.IrqFd,
        ["KVM_CAP_IOEVENTFD"] = (ulong)KvmCapability.IoEventFd,
        ["KVM_CAP_SIGNAL_MSI"] = (ulong)KvmCapability.SignalMsi,
        ["KVM_IOEVENTFD_FLAG_DATAMATCH"] = (ulong)KvmIoEventFdFlags.DataMatch,
        ["KVM_IOEVENTFD_FLAG_PIO"] = (ulong)KvmIoEventFdFlags.PortIo,
        ["KVM_IOEVENTFD_FLAG_DEASSIGN"] = (ulong)KvmIoEventFdFlags.Deassign,
        ["KVM_IRQFD_FLAG_DEASSIGN"] = (ulong)KvmIrqFdFlags.Deassign,
        ["KVM_IRQFD_FLAG_RESAMPLE"] = (ulong)KvmIrqFdFlags.Resample,
        ["KVM_EXIT_IO_OUT"] = KvmRunLayout.IoDirectionOut,
        ["KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES"] = KvmRunLayout.EmulationFailureHasInstructionBytes,
        ["KVM_SYNC_X86_REGS"] = KvmRunLayout.SyncX86Regs,
    };

    public static TheoryData<string> Constants => new(KvmHeaderProbe.Constants);

    [Theory]
    [MemberData(nameof(Constants))]
    public void Value_matches_the_kernel_header(string name)
    {
        Assert.Equal(KvmHeaderProbe.Constant(name), Ours[name]);
    }

    [Fact]
    public void Every_capability_we_use_is_checked()
    {
        var checkedCapabilities = Ours.Where(c => c.Key.StartsWith("KVM_CAP_", StringComparison.Ordinal)).Select(c => c.Value).Order();
        Assert.Equal(Enum.GetValues<KvmCapability>().Select(c => (ulong)c).Order(), checkedCapabilities);
    }
}
