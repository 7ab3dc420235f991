using Turnstone.Hypervisor.Interop;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.UnitTests.Hypervisor;

public sealed class CpuidPolicyTests
{
    private static KvmCpuidEntry2[] Supported() =>
    [
        new() { Function = 0, Eax = 0x1F, Ebx = 0x756E_6547 },
        new() { Function = 1, Eax = 0x000A_0655, Ebx = 0x0710_0800, Ecx = 0x7FFA_F3BF, Edx = 0xBFEB_FBFF },
        new() { Function = 7, Index = 0, Ebx = 0x029C_6FBF },
        new() { Function = 0xB, Index = 0, Eax = 1, Ebx = 1, Ecx = 0x100, Edx = 0 },
        new() { Function = 0xB, Index = 1, Eax = 4, Ebx = 1, Ecx = 0x201, Edx = 0 },
        new() { Function = 0x1F, Index = 0, Eax = 1, Ebx = 1, Ecx = 0x100, Edx = 0 },
    ];

    [Fact]
    public void Leaf_1_hides_CX16_and_sets_the_hypervisor_bit()
    {
        var leaf1 = CpuidPolicy.For(Supported(), 0)[1];

        Assert.Equal(0u, leaf1.Ecx & (1u << 13));
        Assert.Equal(1u << 31, leaf1.Ecx & (1u << 31));
        Assert.Equal(0x7FFA_F3BFu & ~(1u << 13) | (1u << 31), leaf1.Ecx);
        Assert.Equal(0xBFEB_FBFFu, leaf1.Edx);
        Assert.Equal(0x000A_0655u, leaf1.Eax);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(200)]
    public void APIC_id_goes_into_leaf_1_EBX_and_the_topology_leaves(int vcpu)
    {
        var entries = CpuidPolicy.For(Supported(), vcpu);

        Assert.Equal((uint)vcpu, entries[1].Ebx >> 24);
        Assert.Equal(0x0010_0800u, entries[1].Ebx & 0x00FF_FFFF); // brand index, CLFLUSH size, logical count kept
        Assert.Equal((uint)vcpu, entries[3].Edx);
        Assert.Equal((uint)vcpu, entries[4].Edx);
        Assert.Equal((uint)vcpu, entries[5].Edx);
        Assert.Equal(0x201u, entries[4].Ecx);
    }

    [Fact]
    public void Other_leaves_are_passed_through_and_the_input_is_not_modified()
    {
        var supported = Supported();

        var entries = CpuidPolicy.For(supported, 5);

        Assert.Equal(supported[0], entries[0]);
        Assert.Equal(supported[2], entries[2]);
        Assert.Equal(Supported(), supported);
        Assert.NotSame(supported, entries);
    }
}
