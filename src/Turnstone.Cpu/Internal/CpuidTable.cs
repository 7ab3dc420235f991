using System.Text;

namespace Turnstone.Cpu.Internal;

/// <summary>
/// What CPUID reports: only features the engine implements (x87, MMX, FXSR, SSE and SSE2 among
/// them, run on the host: see HostInstructionTable). No SSE3+, APIC (unless the machine connects one), SYSENTER, PSE,
/// PCID, SMEP/SMAP, XSAVE, AVX, BMI, so software that checks before using them stays on what works.
/// <para>
/// The vendor is Intel's, as QEMU's TCG CPUs carry a real vendor: software keys on it. glibc 2.33+
/// reads leaf 1 only for the vendors it knows, so under any other vendor every dynamically linked
/// program stops with "CPU ISA level is lower than required" (Debian 12's systemd did); Linux reads
/// the TSC and crystal frequencies of leaf 0x15 only from Intel CPUs, and otherwise calibrates the TSC
/// against the PIT, which fails under an interpreter. The hypervisor bit says what we are (Linux then
/// skips its microcode loader), and the cache leaves (2 pointing at 4) describe a plausible hierarchy
/// for the libraries and kernels that size buffers by it.
/// </para>
/// </summary>
internal static class CpuidTable
{
    public const uint MaxBasicLeaf = 0x16;
    public const uint MaxExtendedLeaf = 0x8000_0008;
    private const string Vendor = "GenuineIntel";
    private const string Brand = "Turnstone software x86-64";

    /// <param name="localApic">Whether the machine connected a local APIC (SoftwareCpu.ConnectLocalApic):
    /// then leaf 1 advertises the APIC (EDX bit 9) and TSC-deadline mode (ECX bit 24).</param>
    public static (uint Eax, uint Ebx, uint Ecx, uint Edx) Query(uint leaf, uint subleaf, bool localApic = false)
    {
        switch (leaf)
        {
            case 0:
                return (MaxBasicLeaf, VendorPart(0), VendorPart(2), VendorPart(1));
            case 1:
            {
                const uint family6Model15 = 0x0000_06F1;
                const uint clflushLineSize = 8 << 8;
                const uint logicalProcessors = 1 << 16;
                const uint ecx = (1u << 13) /* CMPXCHG16B */ | (1u << 23) /* POPCNT */ | (1u << 31) /* running under a hypervisor */;
                const uint edx = (1u << 0) /* FPU */ | (1u << 23) /* MMX */ | (1u << 24) /* FXSR */ | (1u << 25) /* SSE */ | (1u << 26) /* SSE2 */ |
                    (1u << 3) /* PSE */ | (1u << 4) /* TSC */ | (1u << 5) /* MSR */ | (1u << 6) /* PAE */ | (1u << 8) /* CX8 */ |
                    (1u << 11) /* SEP */ | (1u << 13) /* PGE */ | (1u << 15) /* CMOV */ | (1u << 16) /* PAT */;
                const uint apic = 1u << 9, tscDeadline = 1u << 24;
                return localApic
                    ? (family6Model15, clflushLineSize | logicalProcessors, ecx | tscDeadline, edx | apic)
                    : (family6Model15, clflushLineSize | logicalProcessors, ecx, edx);
            }
            case 2:
                // One round; descriptor FFh: "no descriptors here, enumerate leaf 4".
                return (0x0000_FF01, 0, 0, 0);
            case 4:
                return CacheParameters(subleaf);
            case 7:
                // Structured extended features: only IA32_ARCH_CAPABILITIES, which says what this CPU is not affected by.
                return (0, 0, 0, subleaf == 0 ? 1u << 29 : 0);
            case 0x15:
                // TSC = crystal (25 MHz) * 40 / 1 = 1 GHz, SoftwareCpu.TscFrequency.
                return (1, 40, 25_000_000, 0);
            case 0x16:
                return (1000, 1000, 100, 0);
            case 0x8000_0000:
                return (MaxExtendedLeaf, VendorPart(0), VendorPart(2), VendorPart(1));
            case 0x8000_0001:
            {
                const uint ecx = (1u << 0) /* LAHF/SAHF in 64-bit mode */ | (1u << 5) /* LZCNT */;
                const uint edx = (1u << 11) /* SYSCALL */ | (1u << 20) /* NX */ | (1u << 26) /* 1 GiB pages */ |
                    (1u << 27) /* RDTSCP */ | (1u << 29) /* long mode */;
                return (0, 0, ecx, edx);
            }
            case 0x8000_0002:
            case 0x8000_0003:
            case 0x8000_0004:
            {
                int offset = (int)(leaf - 0x8000_0002) * 16;
                return (BrandPart(offset), BrandPart(offset + 4), BrandPart(offset + 8), BrandPart(offset + 12));
            }
            case 0x8000_0007:
                return (0, 0, 0, 1u << 8 /* invariant TSC */);
            case 0x8000_0008:
                return ((uint)SoftwareCpu.PhysicalAddressBits | (48u << 8), 0, 0, 0);
            default:
                return (0, 0, 0, 0);
        }
    }

    /// <summary>Leaf 4, deterministic cache parameters: L1d and L1i 32 KiB 8-way, L2 1 MiB and L3 16 MiB
    /// 16-way, 64-byte lines, each private to the one logical processor; subleaf 4 on ends the list.</summary>
    private static (uint Eax, uint Ebx, uint Ecx, uint Edx) CacheParameters(uint subleaf)
    {
        const uint data = 1, instruction = 2, unified = 3, selfInitializing = 1 << 8;
        const uint lineSize = 64;
        static (uint, uint, uint, uint) Cache(uint type, uint level, uint ways, uint bytes) =>
            (type | level << 5 | selfInitializing, (ways - 1) << 22 | (lineSize - 1), bytes / (ways * lineSize) - 1, 0);
        return subleaf switch
        {
            0 => Cache(data, 1, 8, 32 << 10),
            1 => Cache(instruction, 1, 8, 32 << 10),
            2 => Cache(unified, 2, 16, 1 << 20),
            3 => Cache(unified, 3, 16, 16 << 20),
            _ => (0, 0, 0, 0),
        };
    }

    private static uint VendorPart(int index) => BitConverter.ToUInt32(Encoding.ASCII.GetBytes(Vendor), index * 4);

    private static uint BrandPart(int offset)
    {
        Span<byte> bytes = stackalloc byte[48];
        Encoding.ASCII.GetBytes(Brand, bytes);
        return BitConverter.ToUInt32(bytes[offset..]);
    }
}
