using System.Text;

namespace Turnstone.Cpu.Internal;

/// <summary>
/// What CPUID reports: only features the engine implements (x87, MMX, FXSR, SSE and SSE2 among
/// them, run on the host: see HostInstructionTable). No SSE3+, APIC (unless the machine connects one), SYSENTER, PSE,
/// PCID, SMEP/SMAP, XSAVE, AVX, BMI, so software that checks before using them stays on what works.
/// </summary>
internal static class CpuidTable
{
    public const uint MaxBasicLeaf = 0x16;
    public const uint MaxExtendedLeaf = 0x8000_0008;
    private const string Vendor = "TurnstoneCPU";
    private const string Brand = "Turnstone software x86-64";

    /// <param name="localApic">Whether the machine connected a local APIC (SoftwareCpu.ConnectLocalApic):
    /// then leaf 1 advertises the APIC (EDX bit 9) and TSC-deadline mode (ECX bit 24).</param>
    public static (uint Eax, uint Ebx, uint Ecx, uint Edx) Query(uint leaf, uint subleaf, bool localApic = false)
    {
        _ = subleaf;
        switch (leaf)
        {
            case 0:
                return (MaxBasicLeaf, VendorPart(0), VendorPart(2), VendorPart(1));
            case 1:
            {
                const uint family6Model15 = 0x0000_06F1;
                const uint clflushLineSize = 8 << 8;
                const uint logicalProcessors = 1 << 16;
                const uint ecx = (1u << 13) /* CMPXCHG16B */ | (1u << 23) /* POPCNT */;
                const uint edx = (1u << 0) /* FPU */ | (1u << 23) /* MMX */ | (1u << 24) /* FXSR */ | (1u << 25) /* SSE */ | (1u << 26) /* SSE2 */ |
                    (1u << 3) /* PSE */ | (1u << 4) /* TSC */ | (1u << 5) /* MSR */ | (1u << 6) /* PAE */ | (1u << 8) /* CX8 */ |
                    (1u << 11) /* SEP */ | (1u << 13) /* PGE */ | (1u << 15) /* CMOV */ | (1u << 16) /* PAT */;
                const uint apic = 1u << 9, tscDeadline = 1u << 24;
                return localApic
                    ? (family6Model15, clflushLineSize | logicalProcessors, ecx | tscDeadline, edx | apic)
                    : (family6Model15, clflushLineSize | logicalProcessors, ecx, edx);
            }
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

    private static uint VendorPart(int index) => BitConverter.ToUInt32(Encoding.ASCII.GetBytes(Vendor), index * 4);

    private static uint BrandPart(int offset)
    {
        Span<byte> bytes = stackalloc byte[48];
        Encoding.ASCII.GetBytes(Brand, bytes);
        return BitConverter.ToUInt32(bytes[offset..]);
    }
}
