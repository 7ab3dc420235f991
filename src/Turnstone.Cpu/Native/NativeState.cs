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
    /// <summary>Host address of SoftwareCpu._segmentBase (pinned): FS's and GS's bases for 64-bit code, every segment's for 32-bit code.</summary>
    public const int SegmentBases = 23;
    /// <summary>Instructions retired by the passes a looping block made round itself and by blocks chained from, in
    /// this call, less the index the call started at (a signed count).</summary>
    public const int Retired = 24;
    /// <summary>Instructions this call may retire at most (a looping block stops going round before it would pass it).</summary>
    public const int Budget = 25;
    /// <summary>Nonzero when something waits for the run loop (a stop or interrupt request, code written from
    /// another thread): a looping block leaves at its next pass. Set by those requests, cleared by the run loop.</summary>
    public const int Attention = 26;
    /// <summary>The entry of the block that took a chainable exit back to the run loop.</summary>
    public const int ExitBlock = 27;
    /// <summary>Host address of SoftwareCpu._xmm (pinned): XMM0-XMM15, 16 bytes each.</summary>
    public const int XmmBase = 28;
    /// <summary>Nonzero while SSE instructions would fault (CR0.EM or CR0.TS set, CR4.OSFXSR clear): the translated
    /// ones then stop before themselves, and the interpreter raises #UD or #NM.</summary>
    public const int SseBlocked = 29;
    /// <summary>CS's limit: 32-bit code's branches stop before themselves when their target lies past it (the
    /// interpreter raises #GP there).</summary>
    public const int CodeLimit = 30;
    public const int Slots = 31;

    // The return value: bit 1 StoppedBefore; bits 8-15 an instruction index in the block that ran last
    // (BlockRip's); bits 16 up the offset of that instruction (StoppedBefore) or a chainable exit's number + 1.
    // The flags are in their slot at every exit.

    /// <summary>The block stopped before the instruction at the index (a TLB miss, or an instruction the
    /// translation leaves to the interpreter); otherwise the index counts the instructions it ran since the
    /// retired slot was last added to.</summary>
    public const int StoppedBefore = 2;
    public const int IndexShift = 8, IndexMask = 0xFF;
    public const int OffsetShift = 16;
    public const int ChainExitShift = 16;
}
