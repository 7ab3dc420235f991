using System.Reflection;
using System.Runtime.CompilerServices;
using Turnstone.Hypervisor.Interop;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Hypervisor;

/// <summary>
/// Every offset into struct kvm_run that Kvm/Vcpu.cs uses is a named constant of
/// <see cref="KvmRunLayout"/>, and each is checked here against linux/kvm.h (offsetof and sizeof,
/// compiled by gcc). Vcpu.cs holds no offset arithmetic of its own, so a wrong number there is a
/// wrong constant here, and fails.
/// </summary>
public sealed class KvmRunLayoutTests
{
    private static readonly Dictionary<string, (string Name, int Value)> OffsetsWeUse = new()
    {
        ["kvm_run.immediate_exit"] = Named(KvmRunLayout.ImmediateExit),
        ["kvm_run.exit_reason"] = Named(KvmRunLayout.ExitReason),
        ["kvm_run.hw"] = Named(KvmRunLayout.ExitUnion),
        ["kvm_run.kvm_valid_regs"] = Named(KvmRunLayout.ValidRegs),
        ["kvm_run.kvm_dirty_regs"] = Named(KvmRunLayout.DirtyRegs),
        ["kvm_run.s.regs"] = Named(KvmRunLayout.SyncRegs),
        ["kvm_run.io.direction"] = Named(KvmRunLayout.IoDirection),
        ["kvm_run.io.size"] = Named(KvmRunLayout.IoSize),
        ["kvm_run.io.port"] = Named(KvmRunLayout.IoPort),
        ["kvm_run.io.count"] = Named(KvmRunLayout.IoCount),
        ["kvm_run.io.data_offset"] = Named(KvmRunLayout.IoDataOffset),
        ["kvm_run.mmio.phys_addr"] = Named(KvmRunLayout.MmioPhysicalAddress),
        ["kvm_run.mmio.data"] = Named(KvmRunLayout.MmioData),
        ["kvm_run.mmio.len"] = Named(KvmRunLayout.MmioLength),
        ["kvm_run.mmio.is_write"] = Named(KvmRunLayout.MmioIsWrite),
        ["kvm_run.internal.suberror"] = Named(KvmRunLayout.InternalSuberror),
        ["kvm_run.internal.ndata"] = Named(KvmRunLayout.InternalDataCount),
        ["kvm_run.internal.data"] = Named(KvmRunLayout.InternalData),
        ["kvm_run.emulation_failure.flags"] = Named(KvmRunLayout.EmulationFailureFlags),
        ["kvm_run.emulation_failure.insn_size"] = Named(KvmRunLayout.EmulationFailureInstructionSize),
        ["kvm_run.emulation_failure.insn_bytes"] = Named(KvmRunLayout.EmulationFailureInstructionBytes),
        ["kvm_run.system_event.type"] = Named(KvmRunLayout.SystemEventType),
        ["kvm_run.debug.arch.exception"] = Named(KvmRunLayout.DebugException),
        ["kvm_run.debug.arch.pc"] = Named(KvmRunLayout.DebugPc),
        ["kvm_run.fail_entry.hardware_entry_failure_reason"] = Named(KvmRunLayout.FailEntryHardwareReason),
    };

    private static (string Name, int Value) Named(int value, [CallerArgumentExpression(nameof(value))] string name = "") =>
        (name["KvmRunLayout.".Length..], value);

    /// <summary>The constants that are not offsets: each checked against the header in its own way below
    /// (sizes here, flag values in <see cref="KvmConstantsTests"/>).</summary>
    private static readonly string[] NotOffsets =
    [
        nameof(KvmRunLayout.ExitUnionSize), nameof(KvmRunLayout.MmioMaxLength), nameof(KvmRunLayout.InternalMaxDataCount),
        nameof(KvmRunLayout.EmulationFailureMaxInstructionBytes), nameof(KvmRunLayout.IoDirectionOut),
        nameof(KvmRunLayout.EmulationFailureHasInstructionBytes), nameof(KvmRunLayout.SyncX86Regs),
    ];

    private static IEnumerable<string> RunFieldNames => KvmHeaderProbe.Fields.Where(f => f.StartsWith("kvm_run.", StringComparison.Ordinal));

    public static TheoryData<string> RunFields => new(RunFieldNames);

    [Theory]
    [MemberData(nameof(RunFields))]
    public void Offset_matches_the_kernel_header(string field)
    {
        Assert.Equal(KvmHeaderProbe.OffsetOf(field), (ulong)OffsetsWeUse[field].Value);
    }

    [Fact]
    public void Every_offset_constant_is_checked_against_the_header()
    {
        var offsetConstants = typeof(KvmRunLayout).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && !NotOffsets.Contains(f.Name))
            .Select(f => f.Name)
            .Order();

        Assert.Equal(offsetConstants, OffsetsWeUse.Values.Select(v => v.Name).Order());
        Assert.Equal(OffsetsWeUse.Keys.Order(), RunFieldNames.Order());
    }

    [Fact]
    public void Sizes_match_the_kernel_header()
    {
        Assert.Equal((ulong)KvmRunLayout.ExitUnionSize, KvmHeaderProbe.OffsetOf("kvm_run.kvm_valid_regs") - KvmHeaderProbe.OffsetOf("kvm_run.hw"));
        Assert.Equal((ulong)KvmRunLayout.MmioMaxLength, KvmHeaderProbe.SizeOfMember("kvm_run.mmio.data"));
        Assert.Equal((ulong)(KvmRunLayout.InternalMaxDataCount * sizeof(ulong)), KvmHeaderProbe.SizeOfMember("kvm_run.internal.data"));
        Assert.Equal((ulong)KvmRunLayout.EmulationFailureMaxInstructionBytes, KvmHeaderProbe.SizeOfMember("kvm_run.emulation_failure.insn_bytes"));
    }
}
