using Turnstone.Hypervisor.Interop;

namespace Turnstone.Machine;

/// <summary>
/// The CPUID a guest sees: what the host's KVM supports, minus what the monitor cannot back, plus
/// the per-vCPU topology fields.
/// </summary>
public static class CpuidPolicy
{
    private const uint Cx16 = 1u << 13, Hypervisor = 1u << 31;

    // SIMD extensions that kernels use in kernel_fpu_begin sections (AES-NI, PCLMUL, SSSE3/SSE4
    // and AVX crypto and checksum routines). On a host that emulates guest CPL 0, the host's
    // emulator rejects every one of those instructions, so such a guest is told they are absent
    // and picks its generic C code instead. SSE and SSE2 stay: they are the x86-64 baseline.
    private const uint Leaf1EcxKernelSimd = (1u << 1) | (1u << 9) | (1u << 12) | (1u << 19) | (1u << 20)
        | (1u << 25) | (1u << 28) | (1u << 29); // PCLMULQDQ SSSE3 FMA SSE4.1 SSE4.2 AES AVX F16C
    private const uint Leaf7EbxKernelSimd = (1u << 5) | (1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27)
        | (1u << 28) | (1u << 29) | (1u << 30) | (1u << 31); // AVX2, AVX-512 family, SHA
    private const uint Leaf7EcxKernelSimd = (1u << 1) | (1u << 6) | (1u << 8) | (1u << 9) | (1u << 10) | (1u << 11)
        | (1u << 12) | (1u << 14); // AVX-512 VBMI/VBMI2, GFNI, VAES, VPCLMULQDQ, VNNI, BITALG, VPOPCNTDQ

    /// <param name="hostEmulatesKernelCode">True on hosts (kvm_pvm) where guest CPL 0 runs in the host's instruction emulator.</param>
    public static KvmCpuidEntry2[] For(KvmCpuidEntry2[] supported, int vcpuId, bool hostEmulatesKernelCode = false)
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
                    if (hostEmulatesKernelCode)
                    {
                        entry.Ecx &= ~Leaf1EcxKernelSimd;
                    }
                    break;
                case 7 when entry.Index == 0 && hostEmulatesKernelCode:
                    entry.Ebx &= ~Leaf7EbxKernelSimd;
                    entry.Ecx &= ~Leaf7EcxKernelSimd;
                    break;
                case 0xB or 0x1F:
                    entry.Edx = (uint)vcpuId;
                    break;
            }
        }
        return entries;
    }
}
