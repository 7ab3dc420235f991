namespace Turnstone.Firmware.X86;

/// <summary>
/// The vCPU state a boot path asks for, independent of KVM: 64-bit long mode with paging on, a
/// flat GDT, and the entry registers. The machine turns it into KVM register structures.
/// </summary>
public sealed record BootCpuState
{
    public required ulong Rip { get; init; }
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
}
