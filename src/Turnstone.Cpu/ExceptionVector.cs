namespace Turnstone.Cpu;

/// <summary>The architectural exception vectors this engine raises.</summary>
public enum ExceptionVector : byte
{
    DivideError = 0,
    Debug = 1,
    /// <summary>The non-maskable interrupt (SoftwareCpu.Nmi.cs).</summary>
    Nmi = 2,
    Breakpoint = 3,
    Overflow = 4,
    BoundRange = 5,
    InvalidOpcode = 6,
    DeviceNotAvailable = 7,
    DoubleFault = 8,
    InvalidTss = 10,
    SegmentNotPresent = 11,
    StackFault = 12,
    GeneralProtection = 13,
    PageFault = 14,
    /// <summary>#MF, a pending unmasked x87 exception taken by a waiting instruction (CR0.NE set).</summary>
    FloatingPointError = 16,
    AlignmentCheck = 17,
}
