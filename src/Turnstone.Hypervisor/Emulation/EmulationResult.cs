namespace Turnstone.Hypervisor.Emulation;

public enum EmulationOutcome
{
    /// <summary>The instruction's effects are applied; resume at the updated RIP.</summary>
    Completed,
    /// <summary>The instruction raises an exception: inject it (RIP already set as the CPU would leave it).</summary>
    RaiseException,
    /// <summary>We do not emulate it; the VM must stop with a report.</summary>
    Unsupported,
}

/// <summary>What the emulator decided for one instruction.</summary>
public readonly record struct EmulationResult(
    EmulationOutcome Outcome,
    byte Vector = 0,
    uint? ErrorCode = null,
    ulong PageFaultAddress = 0,
    string? Reason = null)
{
    public static EmulationResult Completed => new(EmulationOutcome.Completed);

    public static EmulationResult Unsupported(string reason) => new(EmulationOutcome.Unsupported, Reason: reason);

    public static EmulationResult Exception(byte vector, uint? errorCode = null) =>
        new(EmulationOutcome.RaiseException, vector, errorCode);

    /// <summary>A #PF for an access the instruction made; the caller sets CR2 to the address.</summary>
    public static EmulationResult PageFault(ulong linear, bool write) => PageFault(linear, write ? 2u : 0u);

    /// <summary>A #PF with an explicit error code (bit 0 present/protection, bit 1 write).</summary>
    public static EmulationResult PageFault(ulong linear, uint errorCode) =>
        new(EmulationOutcome.RaiseException, ExceptionVector.PageFault, errorCode, linear);
}

public static class ExceptionVector
{
    public const byte Breakpoint = 3;
    public const byte InvalidOpcode = 6;
    public const byte GeneralProtection = 13;
    public const byte PageFault = 14;
}
