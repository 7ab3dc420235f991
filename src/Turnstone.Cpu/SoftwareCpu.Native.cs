using System.Runtime.CompilerServices;
using Turnstone.Cpu.Internal;
using Turnstone.Cpu.Native;

namespace Turnstone.Cpu;

// The host-code tier (Native/NativeBlockCompiler.cs): a hot 64- or 32-bit block translated into host
// instructions, entered through an unmanaged function pointer with the register file's address.
// Its entry sits in DecodedBlock.CompiledEntry with a tag bit (the code is 16-byte aligned), so the
// run loop's one load tells the tiers apart. A translated block's direct branch within its page is
// linked here to the target's translation once both exist, and unlinked when the target is dropped.
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>Tag bit of a host-code entry in <see cref="DecodedBlock.CompiledEntry"/>.</summary>
    private const nint NativeEntryTag = 1;

    /// <summary>TURNSTONE_NATIVE_THRESHOLD when set: interpreted runs of a 64- or 32-bit block before it is
    /// translated to host code (negative: never), for a whole process.</summary>
    public static int? EnvironmentNativeThreshold { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("TURNSTONE_NATIVE_THRESHOLD"), out int threshold) ? threshold : null;

    private int _nativeThreshold = EnvironmentNativeThreshold ?? (RuntimeFeature.IsDynamicCodeSupported ? -1 : DefaultCompileThreshold);

    /// <summary>
    /// The threshold for code like a Linux boot's. Measured on 2026-12-07 (this 2-core host, one run each,
    /// the host's speed swinging by a third): Debian 12 to its login prompt 24.2 s at 50, 22.8 and 23.1 s
    /// at 200, 22.9 s at 1,000, 27.3 s without this tier; Debian's cloud kernel to init 2.84 s at 200,
    /// 3.46 s at 10, 3.27-3.40 s without.
    /// </summary>
    public const int BroadCodeNativeThreshold = 200;

    /// <summary>
    /// Interpreted runs of a 64- or 32-bit block before it is translated to host code (0: at its first run;
    /// negative: never, the default for machines that did not ask where .NET code can be made: components,
    /// whose .NET code is shared between machines through CompiledCodeCache, and tests). Without dynamic code
    /// (NativeAOT) the default is the .NET tier's threshold, as this tier is the only compiled one there. A block
    /// the translation does not take (less than half of it translatable) goes on to <see cref="CompileThreshold"/>.
    /// </summary>
    public int NativeCompileThreshold
    {
        get => _nativeThreshold;
        set => _nativeThreshold = value;
    }

    /// <summary>Blocks translated to host code so far.</summary>
    public int BlocksTranslated { get; private set; }

    /// <summary>Chained jumps between translated blocks made so far (tests check chaining happened).</summary>
    internal int BlocksChained { get; private set; }

    /// <summary>Live translated blocks by entry, to find the block a chainable exit belongs to.</summary>
    private readonly Dictionary<nint, DecodedBlock> _nativeBlocks = [];

    /// <summary>The block and chainable exit the last host-code run left through, until the next
    /// translated block runs (and is linked to it when it is that exit's target).</summary>
    private DecodedBlock? _chainFrom;
    private int _chainExit;

    /// <summary>Makes a translated block going round a loop or chaining on leave at its next chance (any thread).</summary>
    private void CallAttention() => Volatile.Write(ref R(NativeState.Attention), 1);

    /// <summary>The most instructions one call into host code may retire: its passes and chained blocks
    /// hold off the garbage collector, which waits for the vCPU thread to leave host code.</summary>
    private const long NativeCallBudget = 1 << 20;

    private void InitializeNativeState()
    {
        R(NativeState.TlbMask) = (ulong)_tlbSetMask;
        R(NativeState.SegmentBases) = (ulong)Unsafe.AsPointer(ref _segmentBase[0]);
        R(NativeState.XmmBase) = (ulong)Unsafe.AsPointer(ref _xmm[0]);
        UpdateSseBlocked();
    }

    /// <summary>The translated code reads the TLB sets of the current privilege through these slots.</summary>
    private void PointNativeStateAtTlb()
    {
        R(NativeState.ReadTlb) = (ulong)Unsafe.AsPointer(ref _tlb[_readTlb]);
        R(NativeState.WriteTlb) = (ulong)Unsafe.AsPointer(ref _tlb[_writeTlb]);
    }

    /// <summary>Translates the block; its tagged entry, or 0 when the tier does not take it.</summary>
    private nint TranslateToHost(DecodedBlock block) =>
        NativeBlockCompiler.Compile(block) is { } translated ? AdoptNewTranslation(block, translated) : 0;

    /// <summary>The block compiler thread's work for a block that got warm (<see cref="CompileInBackground"/>):
    /// the translation is left in the block for its vCPU to adopt, which alone touches the tier's tables.</summary>
    private static void TranslateInBackground(DecodedBlock block)
    {
        if (NativeBlockCompiler.Compile(block) is { } translated)
        {
            Volatile.Write(ref block.TranslatedInBackground, translated);
        }
    }

    private nint AdoptBackgroundTranslation(DecodedBlock block, NativeBlock translated)
    {
        block.TranslatedInBackground = null;
        return block.Valid ? AdoptNewTranslation(block, translated) : 0;
    }

    private nint AdoptNewTranslation(DecodedBlock block, NativeBlock translated)
    {
        AdoptNative(block, translated);
        BlocksTranslated++;
        return block.CompiledEntry;
    }

    /// <summary>Makes <paramref name="translated"/> the block's code (a fresh translation, or a revived block's).</summary>
    private void AdoptNative(DecodedBlock block, NativeBlock translated)
    {
        block.Native = translated;
        _nativeBlocks[translated.Entry] = block;
        Volatile.Write(ref block.CompiledEntry, translated.Entry | NativeEntryTag);
    }

    /// <summary>
    /// Runs a translated block (and whatever it chains to). Where it stopped before an instruction (a
    /// TLB miss, an instruction the translation leaves to the interpreter), the interpreter runs that
    /// one, and the host code goes on after it through the block's resume entry if it has one;
    /// otherwise the interpreter runs the rest of the block. A stop in a block chained to leaves RIP
    /// there for the run loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int RunNative(nint entry, DecodedBlock block, long budget)
    {
        if (_chainFrom is not null)
        {
            LinkChain(block);
        }
        ulong* state = (ulong*)Unsafe.AsPointer(ref R(0));
        ulong blockRip = _rip;
        nint code = entry & ~NativeEntryTag;
        int retired = 0, start = 0;
        while (true)
        {
            // Less the instructions before the one the code starts at: exits count by index in the block.
            state[NativeState.Retired] = (ulong)-start;
            state[NativeState.Budget] = (ulong)Math.Min(budget - retired, NativeCallBudget);
            state[NativeState.Flags] = (MaterializeFlags() & RflagsBits.Arithmetic) | RflagsBits.Fixed;
            state[NativeState.BlockRip] = blockRip;
            int result = ((delegate* unmanaged[SuppressGCTransition]<ulong*, int>)code)(state);
            SetArithmeticFlags(state[NativeState.Flags]);
            int index = (result >> NativeState.IndexShift) & NativeState.IndexMask;
            retired += (int)(long)state[NativeState.Retired] + index;
            if ((result & NativeState.StoppedBefore) == 0)
            {
                _rip = state[NativeState.NextRip];
                int chainExit = result >> NativeState.ChainExitShift;
                if (chainExit != 0 && _nativeBlocks.TryGetValue((nint)state[NativeState.ExitBlock], out DecodedBlock? from))
                {
                    _chainFrom = from;
                    _chainExit = chainExit - 1;
                }
                return retired;
            }
            ulong stoppedBlockRip = state[NativeState.BlockRip];
            _rip = stoppedBlockRip + (ulong)(result >> NativeState.OffsetShift);
            if (stoppedBlockRip != blockRip)
            {
                return retired;
            }
            int ran = ExecuteBlock(block, index, index + 1);
            retired += ran;
            int next = index + 1;
            if (ran == 0 || next == block.Length || _blockBreak || _exceptionPending || _exitPending || _interruptShadow
                || _rip != blockRip + block.Instructions[next].Offset)
            {
                return retired;
            }
            code = block.Native!.ResumeEntry(next);
            if (code == 0)
            {
                return retired + ExecuteBlock(block, next, block.Length);
            }
            start = next;
        }
    }

    /// <summary>Points the last chainable exit taken at <paramref name="target"/>'s translation when the
    /// target is that exit's: the same physical page and offset, both blocks still live.</summary>
    private void LinkChain(DecodedBlock target)
    {
        DecodedBlock from = _chainFrom!;
        _chainFrom = null;
        NativeBlock? source = from.Native, destination = target.Native;
        if (source is null || destination is null || !from.Valid || !target.Valid)
        {
            return;
        }
        NativeChainExit exit = source.ChainExits[_chainExit];
        ulong expected = (ulong)((long)(from.PhysicalStart & PhysicalKeyMask) + exit.TargetOffset);
        if ((target.PhysicalStart & PhysicalKeyMask) != expected || target.CodeSizeTag != from.CodeSizeTag)
        {
            return;
        }
        if (NativeCodeArena.PatchJump(source.Writable + exit.PatchField, source.Entry + exit.PatchField, destination.Entry + destination.ChainEntryOffset))
        {
            (target.IncomingLinks ??= []).Add((from, _chainExit));
            BlocksChained++;
        }
    }

    /// <summary>A block dropped or invalidated: exits chained to it go back to the run loop, and it is no
    /// longer found by entry.</summary>
    private void ForgetNative(DecodedBlock block)
    {
        if (block.Native is not { } native)
        {
            return;
        }
        if (block.IncomingLinks is { } links)
        {
            foreach ((DecodedBlock from, int exitNumber) in links)
            {
                NativeChainExit exit = from.Native!.ChainExits[exitNumber];
                NativeCodeArena.PatchJump(from.Native.Writable + exit.PatchField, from.Native.Entry + exit.PatchField, from.Native.Entry + exit.SlowPath);
            }
            block.IncomingLinks = null;
        }
        if (_nativeBlocks.TryGetValue(native.Entry, out DecodedBlock? current) && ReferenceEquals(current, block))
        {
            _nativeBlocks.Remove(native.Entry);
        }
        if (ReferenceEquals(_chainFrom, block))
        {
            _chainFrom = null;
        }
    }
}
