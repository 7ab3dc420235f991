namespace Turnstone.Cpu.Internal.HostExecution;

/// <summary>
/// One shape of host-run instruction: its thunk and what the interpreter copies in and out around
/// it. Shared by every guest instruction that re-encodes to the same bytes (the operands are
/// rewritten to fixed slots, so <c>addsd xmm3, [rbx+8]</c> and <c>addsd xmm9, [rsp]</c> share one).
/// </summary>
internal struct HostInstruction
{
    public nint Thunk;
    public HostInstructionClass Class;
    public HostOperandRole Role0;
    public HostOperandRole Role1;
    /// <summary>Bytes of the memory operand; 0 when there is none.</summary>
    public byte MemorySize;
    public bool MemoryRead;
    public bool MemoryWritten;
    /// <summary>A legacy SSE 16-byte operand that must be 16-byte aligned (#GP otherwise).</summary>
    public bool Aligned;
    public bool FlagsRead;
    public bool FlagsWritten;
}
