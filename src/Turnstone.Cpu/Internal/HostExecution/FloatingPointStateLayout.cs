namespace Turnstone.Cpu.Internal.HostExecution;

/// <summary>
/// Offsets in a vCPU's floating-point state block (<see cref="FloatingPointState"/>), the memory a
/// host thunk reads and writes. The x87 (and MMX) state lives at offset 0 in the 64-bit FXSAVE
/// layout, so the guest's FXSAVE copies it out and a thunk loads it with the host's FXRSTOR64.
/// </summary>
internal static class FloatingPointStateLayout
{
    /// <summary>The 512-byte FXSAVE64 image (16-byte aligned). Its XMM area is scratch: the XMM
    /// registers live in the CPU's register file.</summary>
    public const int Image = 0;
    public const int ControlWord = 0;
    public const int StatusWord = 2;
    public const int AbridgedTagWord = 4;
    public const int Opcode = 6;
    public const int InstructionPointer = 8;
    public const int DataPointer = 16;
    public const int ImageMxcsr = 24;
    public const int ImageMxcsrMask = 28;
    public const int Registers = 32;
    /// <summary>The x87 part of the image (control words, pointers, ST0-7): what a guest FXSAVE writes besides MXCSR and XMM.</summary>
    public const int X87Bytes = 160;
    public const int ImageXmm = 160;

    /// <summary>Two XMM operands, copied in from and back to the register file around a thunk.</summary>
    public const int XmmSlot0 = 512;
    public const int XmmSlot1 = 528;
    /// <summary>The memory operand (up to 16 bytes; 10 for m80) read before and written after a thunk.</summary>
    public const int MemoryOperand = 544;
    /// <summary>The general-register operand, which the thunk keeps in RAX.</summary>
    public const int GeneralOperand = 576;
    public const int FlagsIn = 584;
    public const int FlagsOut = 592;
    /// <summary>The MXCSR the thunk runs the instruction with (exceptions masked, flags clear); the thunk stores the result back.</summary>
    public const int RunMxcsr = 600;
    public const int HostMxcsr = 604;
    public const int HostControlWord = 608;
    /// <summary>A copy of the x87 part, put back when an SSE instruction with an MMX operand meets an unmasked SIMD exception.</summary>
    public const int X87Backup = 640;
    public const int Size = 800;
}
