using System.Runtime.InteropServices;

namespace Turnstone.Cpu.Internal;

/// <summary>
/// One instruction decoded once by Iced into the form the interpreter dispatches on: 32 bytes,
/// no references. Register operands are by position: operand 0's register in <see cref="Reg"/>,
/// operand 1's in <see cref="Reg2"/>. 8-bit registers AH, CH, DH and BH are 32-35. The memory
/// operand is <c>R[Base] + (R[Index] &lt;&lt; Scale) + Displacement + segment base</c>, where
/// "no register" is the always-zero register and a RIP-relative operand uses the block-start
/// register with the displacement made relative to the block's start, so a decoded block runs
/// wherever the same physical page is mapped.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DecodedInstruction
{
    public Operation Op;
    public byte Size;
    public byte Length;
    public ushort Offset;
    public byte Reg;
    public byte Reg2;
    public byte Base;
    public byte Index;
    public byte Scale;
    public byte Segment;
    /// <summary>Condition code, ALU/shift kind, source size, control-register number, ...</summary>
    public byte Aux;
    public OperandFlags Flags;
    public long Displacement;
    public ulong Immediate;
}
