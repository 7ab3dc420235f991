using Turnstone.Hypervisor.Interop;

namespace Turnstone.Hypervisor.Kvm;

/// <summary>
/// The CPUID a guest sees: what the host's KVM supports, minus what the monitor cannot back, plus
/// the per-vCPU topology fields.
/// </summary>
public static class CpuidPolicy
{
    private const uint Cx16 = 1u << 13, Hypervisor = 1u << 31;

    public static KvmCpuidEntry2[] For(KvmCpuidEntry2[] supported, int vcpuId)
    {
        var entries = (KvmCpuidEntry2[])supported.Clone();
        for (int i = 0; i < entries.Length; i++)
        {
            ref var entry = ref entries[i];
            switch (entry.Function)
            {
                case 1:
                    // cmpxchg16b would need an emulation that is atomic across vCPUs; hiding it works on every host.
                    entry.Ecx = (entry.Ecx & ~Cx16) | Hypervisor;
                    entry.Ebx = (entry.Ebx & 0x00FF_FFFF) | ((uint)vcpuId << 24);
                    break;
                case 0xB or 0x1F:
                    entry.Edx = (uint)vcpuId;
                    break;
            }
        }
        return entries;
    }
}
