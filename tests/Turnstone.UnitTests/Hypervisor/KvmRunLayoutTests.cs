using Turnstone.Hypervisor.Interop;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Hypervisor;

/// <summary>
/// Offsets into struct kvm_run: the named ones in <see cref="KvmRunLayout"/> and the literal
/// union-relative ones Kvm/Vcpu.cs reads (DecodeExit, IoData, MmioData, EmulationFailureBytes,
/// InternalErrorData). The right-hand column repeats Vcpu.cs's arithmetic, so a change there must
/// change here, and both are checked against linux/kvm.h.
/// </summary>
public sealed class KvmRunLayoutTests
{
    private const int U = KvmRunLayout.ExitUnion;

    private static readonly Dictionary<string, int> OffsetsWeUse = new()
    {
        ["kvm_run.immediate_exit"] = KvmRunLayout.ImmediateExit,
        ["kvm_run.exit_reason"] = KvmRunLayout.ExitReason,
        ["kvm_run.hw"] = U,
        ["kvm_run.kvm_valid_regs"] = U + KvmRunLayout.ExitUnionSize,
        ["kvm_run.kvm_dirty_regs"] = KvmRunLayout.DirtyRegs,
        ["kvm_run.s.regs"] = KvmRunLayout.SyncRegs,
        ["kvm_run.io.direction"] = U,
        ["kvm_run.io.size"] = U + 1,
        ["kvm_run.io.port"] = U + 2,
        ["kvm_run.io.count"] = U + 4,
        ["kvm_run.io.data_offset"] = U + 8,
        ["kvm_run.mmio.phys_addr"] = U,
        ["kvm_run.mmio.data"] = U + 8,
        ["kvm_run.mmio.len"] = U + 16,
        ["kvm_run.mmio.is_write"] = U + 20,
        ["kvm_run.internal.suberror"] = U,
        ["kvm_run.internal.ndata"] = U + 4,
        ["kvm_run.internal.data"] = U + 8,
        ["kvm_run.emulation_failure.flags"] = U + 8,
        ["kvm_run.emulation_failure.insn_size"] = U + 16,
        ["kvm_run.emulation_failure.insn_bytes"] = U + 17,
        ["kvm_run.system_event.type"] = U,
        ["kvm_run.debug.arch.exception"] = U,
        ["kvm_run.debug.arch.pc"] = U + 8,
        ["kvm_run.fail_entry.hardware_entry_failure_reason"] = U,
    };

    public static TheoryData<string> RunFields => new(KvmHeaderProbe.Fields.Where(f => f.StartsWith("kvm_run.", StringComparison.Ordinal)));

    [Theory]
    [MemberData(nameof(RunFields))]
    public void Offset_matches_the_kernel_header(string field)
    {
        Assert.Equal(KvmHeaderProbe.OffsetOf(field), (ulong)OffsetsWeUse[field]);
    }
}
