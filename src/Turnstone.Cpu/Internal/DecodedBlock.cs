namespace Turnstone.Cpu.Internal;

/// <summary>
/// A run of decoded instructions from one guest-physical page (the last may continue onto the
/// next page), ending at a branch, a state-changing instruction or the page end.
/// </summary>
internal sealed class DecodedBlock(ulong physicalStart, ulong secondPhysicalPage, DecodedInstruction[] instructions, byte[] code)
{
    public readonly ulong PhysicalStart = physicalStart;
    /// <summary>The physical page an instruction crossing the page end continues on, or ulong.MaxValue.</summary>
    public readonly ulong SecondPhysicalPage = secondPhysicalPage;
    public readonly DecodedInstruction[] Instructions = instructions;
    /// <summary>Instructions.Length, kept beside <see cref="Valid"/>: the run loop reads it at every
    /// dispatch, and reaching through to the array's header was a cache miss of its own (a fifth of
    /// the run loop's samples in a Debian 12 boot sat on that load).</summary>
    public readonly int Length = instructions.Length;
    /// <summary>Every byte the decoder read for it (from the block start on its first page): when the
    /// page is written but these bytes come out the same, the decoded form still holds.</summary>
    public readonly byte[] Code = code;
    /// <summary>The code size the bytes were decoded for, as the key's tag bits hold it (0: 64-bit,
    /// 1: 32-bit, 2: 16-bit; SoftwareCpu.LegacyRun.cs): the same bytes mean other instructions at another size.</summary>
    public int CodeSizeTag => (int)(PhysicalStart >> 60);
    /// <summary>Cleared when a write to one of its pages invalidates it.</summary>
    public bool Valid = true;
    /// <summary>Runs of the block by the interpreter, counted until it is compiled.</summary>
    public int Executions;
    /// <summary>The compiled form, once the block ran often enough (SoftwareCpu.Compile.cs); it keeps
    /// the code at <see cref="CompiledEntry"/> alive.</summary>
    public CompiledMethod? Compiled;
    /// <summary>The compiled method's entry point, or the host-code translation's with its tag bit
    /// (0: interpreted), what the run loop reads.</summary>
    public nint CompiledEntry;
    /// <summary>The host-code translation (SoftwareCpu.Native.cs), if any.</summary>
    public Native.NativeBlock? Native;
    /// <summary>A translation the block compiler thread made, until the vCPU adopts it.</summary>
    public Native.NativeBlock? TranslatedInBackground;
    /// <summary>Translated blocks' chainable exits patched to jump into this block's translation (by
    /// block and exit number), undone when this block is dropped.</summary>
    public List<(DecodedBlock From, int Exit)>? IncomingLinks;
    /// <summary>The last two blocks that ran after this one, found for these RIPs under link key
    /// <see cref="LinkKey"/> (the epoch and the privilege half: SoftwareCpu.BlockLinks.cs).</summary>
    public DecodedBlock? Link0, Link1;
    public ulong LinkRip0, LinkRip1;
    public int LinkKey;

    /// <summary>Installs the compiled form; the entry point last, so a vCPU that sees it also sees what keeps it alive.</summary>
    public void Install(CompiledMethod compiled)
    {
        Compiled = compiled;
        Volatile.Write(ref CompiledEntry, compiled.Entry);
    }
}
