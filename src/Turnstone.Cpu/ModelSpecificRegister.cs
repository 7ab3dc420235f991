namespace Turnstone.Cpu;

/// <summary>The MSR numbers this engine implements (reads and writes of others raise #GP).</summary>
public static class ModelSpecificRegister
{
    public const uint TimeStampCounter = 0x10;
    /// <summary>IA32_PLATFORM_ID: read by Linux's Intel microcode code without a fault handler; 0 here.</summary>
    public const uint PlatformId = 0x17;
    public const uint ApicBase = 0x1B;
    /// <summary>IA32_BIOS_SIGN_ID: the microcode revision, which Linux reads unguarded on every Intel CPU
    /// of family 6 and up (after writing 0 to it); no microcode here, so it reads 0 and writes are dropped.</summary>
    public const uint MicrocodeRevision = 0x8B;
    /// <summary>IA32_ARCH_CAPABILITIES (read-only, enumerated by CPUID.7.0:EDX bit 29): which speculative-execution
    /// flaws the CPU does not have. See <see cref="NotAffectedBySpeculation"/>.</summary>
    public const uint ArchCapabilities = 0x10A;
    public const uint SysenterCs = 0x174;
    public const uint SysenterEsp = 0x175;
    public const uint SysenterEip = 0x176;
    public const uint MiscEnable = 0x1A0;
    public const uint Pat = 0x277;
    public const uint TscDeadline = 0x6E0;
    public const uint Efer = 0xC000_0080;
    public const uint Star = 0xC000_0081;
    public const uint Lstar = 0xC000_0082;
    public const uint Cstar = 0xC000_0083;
    public const uint SyscallFlagMask = 0xC000_0084;
    public const uint FsBase = 0xC000_0100;
    public const uint GsBase = 0xC000_0101;
    public const uint KernelGsBase = 0xC000_0102;
    public const uint TscAux = 0xC000_0103;

    /// <summary>
    /// What IA32_ARCH_CAPABILITIES reads: every "not affected" bit Linux consults. This CPU executes one
    /// instruction at a time and has no branch predictor, store buffer or fill buffer to leak through, so
    /// each is simply true. Without them Linux assumes the worst of an Intel CPU under a hypervisor and
    /// enables page-table isolation (two CR3 writes per system call and interrupt from user mode, each of
    /// which drops this engine's non-global translations and jump-cache entries), VERW on every return
    /// to user mode, the BHI clearing loop and aligned return thunks: work QEMU's TCG guests (an AMD
    /// model by default) never do.
    /// </summary>
    public const ulong NotAffectedBySpeculation =
        1ul << 0 /* RDCL_NO: Meltdown (and L1TF) */ | 1ul << 4 /* SSB_NO */ | 1ul << 5 /* MDS_NO */ |
        1ul << 6 /* PSCHANGE_MC_NO: iTLB multihit */ | 1ul << 8 /* TAA_NO */ |
        1ul << 13 /* SBDR_SSDP_NO */ | 1ul << 14 /* FBSDP_NO */ | 1ul << 15 /* PSDP_NO: MMIO stale data */ |
        1ul << 20 /* BHI_NO */ | 1ul << 24 /* PBRSB_NO */ | 1ul << 26 /* GDS_NO */ | 1ul << 27 /* RFDS_NO */ |
        1ul << 62 /* ITS_NO */;
}
