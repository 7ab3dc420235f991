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
}
