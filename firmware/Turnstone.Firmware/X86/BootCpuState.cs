namespace Turnstone.Firmware.X86;

/// <summary>The processor mode a boot path enters its kernel in.</summary>
public enum CpuEntryMode
{
    /// <summary>64-bit long mode with paging on (Linux 64-bit boot protocol): a 64-bit code segment (L=1).</summary>
    LongMode64,
    /// <summary>32-bit protected mode with paging off (PVH): 32-bit code and data segments (D/B=1).</summary>
    ProtectedMode32,
    /// <summary>Real mode as a processor leaves reset, with CS = <see cref="BootCpuState.CodeSelector"/>
    /// (base = selector * 16, limit 64 KiB) and IP = <see cref="BootCpuState.Rip"/>, the IVT at 0
    /// (limit 3FFh), paging and protection off (the BIOS path: <see cref="BootCpuState.RealModeReset"/>).</summary>
    RealMode,
}

/// <summary>
/// The vCPU state a boot path asks for, independent of KVM: the mode, a flat GDT, control
/// registers and the entry registers. The defaults describe 64-bit long mode with paging on; the
/// machine turns it into KVM register structures.
/// </summary>
public sealed record BootCpuState
{
    public CpuEntryMode Mode { get; init; } = CpuEntryMode.LongMode64;
    public required ulong Rip { get; init; }
    public ulong Rbx { get; init; }
    public ulong Rsi { get; init; }
    public ulong Rsp { get; init; }
    public ulong Rflags { get; init; } = 0x2;
    public required ulong Cr3 { get; init; }
    public ulong Cr0 { get; init; } = X86Paging.Cr0ProtectedModePaging;
    public ulong Cr4 { get; init; } = X86Paging.Cr4Pae;
    public ulong Efer { get; init; } = X86Paging.EferLongMode;
    public required ulong GdtBase { get; init; }
    public required ushort GdtLimit { get; init; }
    public required ushort CodeSelector { get; init; }
    public required ushort DataSelector { get; init; }
    /// <summary>
    /// Selector of a busy 32-bit TSS (base 0, limit 0x67) in the GDT, loaded into TR; null keeps the
    /// vCPU's reset TR. PVH asks for a valid TR, which KVM checks on entry outside long mode.
    /// </summary>
    public ushort? TaskSelector { get; init; }

    /// <summary>CR0 after RESET: protection and paging off, ET, CD and NW set.</summary>
    public const ulong ResetCr0 = 0x6000_0010;

    /// <summary>
    /// Real mode at <paramref name="segment"/>:<paramref name="offset"/> (the BIOS's reset vector
    /// F000:FFF0). Unlike a real processor's reset, CS's base is segment * 16 (0xF0000) rather than
    /// 0xFFFF0000: the BIOS lives in RAM at 0xF0000 and nothing is mapped at the top of 4 GiB, and
    /// the first far jump would load that base anyway.
    /// </summary>
    public static BootCpuState RealModeReset(ushort segment, ushort offset) => new()
    {
        Mode = CpuEntryMode.RealMode,
        Rip = offset,
        Cr0 = ResetCr0,
        Cr3 = 0,
        Cr4 = 0,
        Efer = 0,
        GdtBase = 0,
        GdtLimit = 0xFFFF,
        CodeSelector = segment,
        DataSelector = 0,
    };
}
