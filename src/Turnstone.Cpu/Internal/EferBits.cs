namespace Turnstone.Cpu.Internal;

internal static class EferBits
{
    public const ulong SystemCallExtensions = 1UL << 0;
    public const ulong LongModeEnable = 1UL << 8;
    public const ulong LongModeActive = 1UL << 10;
    public const ulong NoExecuteEnable = 1UL << 11;

    public const ulong Writable = SystemCallExtensions | LongModeEnable | LongModeActive | NoExecuteEnable;
}
