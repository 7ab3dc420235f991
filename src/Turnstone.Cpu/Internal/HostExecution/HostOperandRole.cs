namespace Turnstone.Cpu.Internal.HostExecution;

/// <summary>What a decoded instruction's Reg or Reg2 names for a host-run instruction.</summary>
internal enum HostOperandRole : byte
{
    None,
    /// <summary>An XMM register, copied through the slot of the same position.</summary>
    Xmm,
    /// <summary>A general register, copied through RAX; written back when the instruction writes it.</summary>
    GeneralRead,
    GeneralWritten,
}
