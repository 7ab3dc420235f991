namespace Turnstone.Cpu.Internal;

/// <summary>
/// A run of decoded instructions from one guest-physical page (the last may continue onto the
/// next page), ending at a branch, a state-changing instruction or the page end.
/// </summary>
internal sealed class DecodedBlock(ulong physicalStart, ulong secondPhysicalPage, DecodedInstruction[] instructions)
{
    public readonly ulong PhysicalStart = physicalStart;
    /// <summary>The physical page an instruction crossing the page end continues on, or ulong.MaxValue.</summary>
    public readonly ulong SecondPhysicalPage = secondPhysicalPage;
    public readonly DecodedInstruction[] Instructions = instructions;
    /// <summary>Cleared when a write to one of its pages invalidates it.</summary>
    public bool Valid = true;
}
