namespace Turnstone.Components;

/// <summary>Hypercall numbers (images/components/ABI.md).</summary>
public enum Hypercall : ulong
{
    Exit = 0,
    Print = 1,
    HostCall = 2,
    Register = 3,
    Clock = 4,
    Halt = 5,
    Timer = 6,
    TimerReturn = 7,
    Ready = 8,
}

/// <summary>Recoverable error codes returned in RAX.</summary>
public static class ComponentErrors
{
    public const long InvalidArgument = -1, NoSuchFunction = -2, ResultTooLarge = -3, HostFunctionFailed = -4;

    internal static string Describe(long code) => code switch
    {
        InvalidArgument => " (TS_EINVAL)",
        NoSuchFunction => " (TS_ENOENT)",
        ResultTooLarge => " (TS_E2BIG)",
        HostFunctionFailed => " (TS_EHOST)",
        _ => "",
    };
}
