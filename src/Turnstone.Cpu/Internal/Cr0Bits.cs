namespace Turnstone.Cpu.Internal;

internal static class Cr0Bits
{
    public const ulong ProtectionEnable = 1UL << 0;
    public const ulong MonitorCoprocessor = 1UL << 1;
    public const ulong Emulation = 1UL << 2;
    public const ulong TaskSwitched = 1UL << 3;
    public const ulong ExtensionType = 1UL << 4;
    public const ulong NumericError = 1UL << 5;
    public const ulong WriteProtect = 1UL << 16;
    public const ulong AlignmentMask = 1UL << 18;
    public const ulong NotWriteThrough = 1UL << 29;
    public const ulong CacheDisable = 1UL << 30;
    public const ulong Paging = 1UL << 31;

    /// <summary>Bits a MOV to CR0 may set; any other raises #GP.</summary>
    public const ulong Writable = ProtectionEnable | MonitorCoprocessor | Emulation | TaskSwitched | ExtensionType |
        NumericError | WriteProtect | AlignmentMask | NotWriteThrough | CacheDisable | Paging;
}
