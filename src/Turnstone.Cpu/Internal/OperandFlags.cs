namespace Turnstone.Cpu.Internal;

/// <summary>Operand and prefix facts of a decoded instruction.</summary>
[Flags]
internal enum OperandFlags : ushort
{
    None = 0,
    /// <summary>Operand 0 is the memory operand.</summary>
    Memory0 = 1,
    /// <summary>Operand 1 is the memory operand.</summary>
    Memory1 = 2,
    /// <summary>Operand 1 (operand 2 for SHLD/SHRD and IMUL r, r/m, imm) is the immediate.</summary>
    Immediate1 = 4,
    Rep = 8,
    Repne = 16,
    AddressSize32 = 32,
    /// <summary>The count (shifts) or the port (in/out) comes from CL or DX.</summary>
    RegisterCount = 64,
    Lock = 128,
    /// <summary>16-bit addressing (16- and 32-bit code): effective addresses, SI/DI and CX wrap at 64 KiB.</summary>
    AddressSize16 = 256,
    /// <summary>A direct JMP forward in its page that the block continues through (64-bit code): it
    /// runs as a NOP, the block's next instruction is its target, and the RIP after it is the target
    /// (Immediate, an offset from the block's start). A block never ends with one.</summary>
    JumpedThrough = 512,
}
