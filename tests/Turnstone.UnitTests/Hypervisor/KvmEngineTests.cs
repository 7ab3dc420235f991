using System.Runtime.CompilerServices;
using Turnstone.Engine;
using Turnstone.Hypervisor.Engine;
using Turnstone.Hypervisor.Interop;

namespace Turnstone.UnitTests.Hypervisor;

/// <summary>The KVM engine's conversions, without /dev/kvm: its registers are KVM's run-page copy
/// reinterpreted, so the layouts must match field for field.</summary>
public sealed class KvmEngineTests
{
    [Fact]
    public void General_registers_have_kvm_regs_layout()
    {
        Assert.Equal(Unsafe.SizeOf<KvmRegs>(), Unsafe.SizeOf<GeneralRegisters>());
        var kvm = new KvmRegs { Rax = 1, Rbx = 2, Rcx = 3, Rdx = 4, Rsi = 5, Rdi = 6, Rsp = 7, Rbp = 8, R8 = 9, R15 = 16, Rip = 17, Rflags = 18 };

        var engine = Unsafe.As<KvmRegs, GeneralRegisters>(ref kvm);

        Assert.Equal((1ul, 2ul, 3ul, 4ul, 5ul, 6ul, 7ul, 8ul), (engine.Rax, engine.Rbx, engine.Rcx, engine.Rdx, engine.Rsi, engine.Rdi, engine.Rsp, engine.Rbp));
        Assert.Equal((9ul, 16ul, 17ul, 18ul), (engine.R8, engine.R15, engine.Rip, engine.Rflags));
    }

    [Fact]
    public void Segment_attributes_become_kvm_segment_fields()
    {
        var code = KvmEngineVcpu.Segment(new SegmentState(0x1B, 0, 0xFFFF_FFFF, 0xA0FB));
        Assert.Equal(
            new KvmSegment { Limit = 0xFFFF_FFFF, Selector = 0x1B, Present = 1, Type = 0xB, Dpl = 3, S = 1, L = 1, G = 1 },
            code);

        var data = KvmEngineVcpu.Segment(new SegmentState(0x23, 0, 0xFFFF_FFFF, 0xC0F3));
        Assert.Equal(
            new KvmSegment { Limit = 0xFFFF_FFFF, Selector = 0x23, Present = 1, Type = 0x3, Dpl = 3, S = 1, Db = 1, G = 1 },
            data);

        var tss = KvmEngineVcpu.Segment(new SegmentState(0x28, 0x7000, 0x2068, 0x8B));
        Assert.Equal(new KvmSegment { Base = 0x7000, Limit = 0x2068, Selector = 0x28, Type = 0xB, Present = 1 }, tss);

        Assert.Equal(new KvmSegment { Unusable = 1 }, KvmEngineVcpu.Segment(SegmentState.UnusableSegment));
    }
}
