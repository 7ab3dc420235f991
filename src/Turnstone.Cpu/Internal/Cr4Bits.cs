namespace Turnstone.Cpu.Internal;

internal static class Cr4Bits
{
    public const ulong TimeStampDisable = 1UL << 2;
    public const ulong DebuggingExtensions = 1UL << 3;
    public const ulong PageSizeExtensions = 1UL << 4;
    public const ulong PhysicalAddressExtension = 1UL << 5;
    public const ulong MachineCheckEnable = 1UL << 6;
    public const ulong PageGlobalEnable = 1UL << 7;
    public const ulong PerformanceCounterEnable = 1UL << 8;
    public const ulong OsFxsr = 1UL << 9;
    public const ulong OsXmmExceptions = 1UL << 10;

    /// <summary>Bits a MOV to CR4 may set: only features CPUID reports (no SMEP, SMAP, PCID,
    /// OSXSAVE, FSGSBASE, UMIP, PKE), else #GP as a CPU without them does.</summary>
    public const ulong Writable = TimeStampDisable | DebuggingExtensions | PageSizeExtensions | PhysicalAddressExtension |
        MachineCheckEnable | PageGlobalEnable | PerformanceCounterEnable | OsFxsr | OsXmmExceptions;
}
