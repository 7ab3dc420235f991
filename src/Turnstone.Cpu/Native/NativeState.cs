namespace Turnstone.Cpu.Native;

/// <summary>
/// The block of 64-bit slots a translated block reaches through RBX: the vCPU's register file
/// (SoftwareCpu._registers, a pinned array, so the interpreter and the host code share one copy)
/// with the few values the translated code needs after it. Offsets are slot numbers; bytes are 8 times that.
/// </summary>
internal static class NativeState
{
    /// <summary>Slots 0-15: RAX..R15; 16: always 0; 17: the running block's linear start (RIP-relative operands).</summary>
    public const int BlockRip = SoftwareCpu.BlockRipRegister;
    /// <summary>The guest's six arithmetic flags, in RFLAGS positions: in before a block that reads flags it did not set, out where the return value says so.</summary>
    public const int Flags = 18;
    /// <summary>RIP after the block when it ran to its end or left it by a branch.</summary>
    public const int NextRip = 19;
    /// <summary>Host address of the first TLB entry of the read set and of the write set for the current privilege.</summary>
    public const int ReadTlb = 20, WriteTlb = 21;
    /// <summary>Entries per TLB set minus one.</summary>
    public const int TlbMask = 22;
    /// <summary>Host address of SoftwareCpu._segmentBase (pinned): FS's and GS's bases for 64-bit code.</summary>
    public const int SegmentBases = 23;
    /// <summary>Instructions retired by the passes a looping block made round itself in this call.</summary>
    public const int Retired = 24;
    /// <summary>Instructions this call may retire at most (a looping block stops going round before it would pass it).</summary>
    public const int Budget = 25;
    /// <summary>Nonzero when something waits for the run loop (a stop or interrupt request, code written from
    /// another thread): a looping block leaves at its next pass. Set by those requests, cleared by the run loop.</summary>
    public const int Attention = 26;
    public const int Slots = 27;

    /// <summary>Return value: the flags slot holds the guest's arithmetic flags.</summary>
    public const int FlagsOut = 1;
    /// <summary>Return value: the block stopped before the instruction whose index is in the upper bits (a TLB miss,
    /// or an instruction the translation leaves to the interpreter); otherwise the upper bits count the instructions run.</summary>
    public const int StoppedBefore = 2;
    public const int IndexShift = 8;
}
