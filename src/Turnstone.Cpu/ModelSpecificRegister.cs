namespace Turnstone.Cpu;

/// <summary>The MSR numbers this engine implements (reads and writes of others raise #GP).</summary>
public static class ModelSpecificRegister
{
    public const uint TimeStampCounter = 0x10;
    public const uint ApicBase = 0x1B;
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
