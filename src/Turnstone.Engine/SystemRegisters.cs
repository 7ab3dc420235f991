namespace Turnstone.Engine;

/// <summary>The system state a caller sets to start a guest in a given mode: segment registers,
/// descriptor tables, control registers and EFER. Everything else keeps the vCPU's reset value.</summary>
public readonly record struct SystemRegisters
{
    public SegmentState Cs { get; init; }
    public SegmentState Ds { get; init; }
    public SegmentState Es { get; init; }
    public SegmentState Fs { get; init; }
    public SegmentState Gs { get; init; }
    public SegmentState Ss { get; init; }
    public SegmentState Tr { get; init; }
    public SegmentState Ldt { get; init; }
    public DescriptorTable Gdt { get; init; }
    public DescriptorTable Idt { get; init; }
    public ulong Cr0 { get; init; }
    public ulong Cr2 { get; init; }
    public ulong Cr3 { get; init; }
    public ulong Cr4 { get; init; }
    public ulong Efer { get; init; }
}
