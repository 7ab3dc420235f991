using System.Text;
using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>
/// What software keys on when it identifies the CPU: the vendor string (glibc reads the feature
/// leaf only for vendors it knows; Linux reads the TSC/crystal leaf only from Intel), the hypervisor
/// bit, the cache leaves, the microcode MSRs Linux reads without a fault handler on Intel, and the
/// speculation flaws the CPU reports itself free of.
/// </summary>
public sealed class CpuIdentificationTests
{
    private static (uint Eax, uint Ebx, uint Ecx, uint Edx) Cpuid(uint leaf, uint subleaf = 0)
    {
        using var machine = new LongModeMachine();
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(eax, leaf);
            a.mov(ecx, subleaf);
            a.cpuid();
            a.hlt();
        });
        machine.Cpu.Rip = LongModeMachine.KernelCode;
        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        return ((uint)machine.Register(GeneralRegister.Rax), (uint)machine.Register(GeneralRegister.Rbx),
            (uint)machine.Register(GeneralRegister.Rcx), (uint)machine.Register(GeneralRegister.Rdx));
    }

    [Fact]
    public void The_vendor_is_intel_and_the_hypervisor_bit_is_set()
    {
        var (maxLeaf, ebx, ecx, edx) = Cpuid(0);
        string vendor = Encoding.ASCII.GetString([.. BitConverter.GetBytes(ebx), .. BitConverter.GetBytes(edx), .. BitConverter.GetBytes(ecx)]);
        Assert.Equal("GenuineIntel", vendor);
        Assert.True(maxLeaf >= 0x15, "leaf 0x15 (TSC/crystal ratio) must be in range");
        Assert.Equal(1u, Cpuid(1).Ecx >> 31);
    }

    [Fact]
    public void Leaf_2_defers_to_leaf_4_which_lists_four_caches_and_then_ends()
    {
        Assert.Equal(0x0000_FF01u, Cpuid(2).Eax);
        var levels = new List<(uint Type, uint Level, uint Bytes)>();
        for (uint subleaf = 0; ; subleaf++)
        {
            var (eax, ebx, ecx, _) = Cpuid(4, subleaf);
            if ((eax & 0x1F) == 0)
            {
                break;
            }
            uint bytes = ((ebx >> 22) + 1) * ((ebx >> 12 & 0x3FF) + 1) * ((ebx & 0xFFF) + 1) * (ecx + 1);
            levels.Add((eax & 0x1F, eax >> 5 & 7, bytes));
            Assert.True(subleaf < 8, "leaf 4 must end with a null cache type");
        }
        Assert.Equal([(1u, 1u, 32u << 10), (2u, 1u, 32u << 10), (3u, 2u, 1u << 20), (3u, 3u, 16u << 20)], levels);
    }

    [Fact]
    public void The_microcode_msrs_read_zero_and_take_the_revision_write()
    {
        using var machine = new LongModeMachine();
        Assert.True(machine.Cpu.TryWriteMsr(ModelSpecificRegister.MicrocodeRevision, 0));
        Assert.True(machine.Cpu.TryReadMsr(ModelSpecificRegister.MicrocodeRevision, out ulong revision));
        Assert.Equal(0ul, revision);
        Assert.True(machine.Cpu.TryReadMsr(ModelSpecificRegister.PlatformId, out ulong platform));
        Assert.Equal(0ul, platform);
        Assert.False(machine.Cpu.TryWriteMsr(ModelSpecificRegister.PlatformId, 1));
    }

    [Fact]
    public void Leaf_7_enumerates_only_arch_capabilities_which_says_not_affected_by_every_speculation_flaw_linux_checks()
    {
        var (maxSubleaf, ebx, ecx, edx) = Cpuid(7);
        Assert.Equal((0u, 0u, 0u, 1u << 29), (maxSubleaf, ebx, ecx, edx));
        Assert.Equal((0u, 0u, 0u, 0u), Cpuid(7, 1));

        using var machine = new LongModeMachine();
        Assert.True(machine.Cpu.TryReadMsr(ModelSpecificRegister.ArchCapabilities, out ulong capabilities));
        // RDCL_NO, SSB_NO, MDS_NO, PSCHANGE_MC_NO, TAA_NO, SBDR_SSDP_NO, FBSDP_NO, PSDP_NO, BHI_NO, PBRSB_NO,
        // GDS_NO, RFDS_NO, ITS_NO; and not IBRS_ALL, RSBA, TSX_CTRL or RRSBA, which would promise controls.
        Assert.Equal(0x4000_0000_0D10_E171ul, capabilities);
        Assert.False(machine.Cpu.TryWriteMsr(ModelSpecificRegister.ArchCapabilities, 0), "IA32_ARCH_CAPABILITIES is read-only");
    }
}
