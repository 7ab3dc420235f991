using System.Runtime.CompilerServices;
using Turnstone.Cpu.Internal;
using Turnstone.Cpu.Native;

namespace Turnstone.Cpu;

// The host-code tier (Native/NativeBlockCompiler.cs): a hot 64-bit block translated into host
// instructions, entered through an unmanaged function pointer with the register file's address.
// Its entry sits in DecodedBlock.CompiledEntry with tag bits (the code is 16-byte aligned), so the
// run loop's one load tells the tiers apart.
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>Tag bit of a host-code entry in <see cref="DecodedBlock.CompiledEntry"/>.</summary>
    private const nint NativeEntryTag = 1;
    /// <summary>Tag bit: the block reads flags it did not set, so the caller puts them in the flags slot.</summary>
    private const nint NativeFlagsInTag = 2;
    private const nint NativeTagMask = 15;

    /// <summary>TURNSTONE_NATIVE_THRESHOLD when set: interpreted runs of a 64-bit block before it is
    /// translated to host code (negative: never), for a whole process.</summary>
    public static int? EnvironmentNativeThreshold { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("TURNSTONE_NATIVE_THRESHOLD"), out int threshold) ? threshold : null;

    private int _nativeThreshold = EnvironmentNativeThreshold ?? -1;

    /// <summary>
    /// Interpreted runs of a 64-bit block before it is translated to host code (0: at its first run;
    /// negative: never, the default until this tier covers enough to beat the .NET tier). A block the
    /// translation cannot take (too little of it translatable) goes on to <see cref="CompileThreshold"/>.
    /// </summary>
    public int NativeCompileThreshold
    {
        get => _nativeThreshold;
        set => _nativeThreshold = value;
    }

    /// <summary>Blocks translated to host code so far.</summary>
    public int BlocksTranslated { get; private set; }

    /// <summary>Makes a translated block going round a loop leave at its next pass (any thread).</summary>
    private void CallAttention() => Volatile.Write(ref R(NativeState.Attention), 1);

    /// <summary>The most instructions one call into host code may retire: a loop's passes hold off the
    /// garbage collector, which waits for the vCPU thread to leave host code.</summary>
    private const long NativeCallBudget = 1 << 20;

    private void InitializeNativeState()
    {
        R(NativeState.TlbMask) = (ulong)_tlbSetMask;
        R(NativeState.SegmentBases) = (ulong)Unsafe.AsPointer(ref _segmentBase[0]);
    }

    /// <summary>The translated code reads the TLB sets of the current privilege through these slots.</summary>
    private void PointNativeStateAtTlb()
    {
        R(NativeState.ReadTlb) = (ulong)Unsafe.AsPointer(ref _tlb[_readTlb]);
        R(NativeState.WriteTlb) = (ulong)Unsafe.AsPointer(ref _tlb[_writeTlb]);
    }

    /// <summary>Translates the block (null-safe for blocks the tier does not take); the tagged entry or 0.</summary>
    private nint TranslateToHost(DecodedBlock block)
    {
        if (block.CodeSizeTag != 0)
        {
            return 0;
        }
        NativeBlock? translated = NativeBlockCompiler.Compile(block.Instructions, block.Code);
        if (translated is null)
        {
            return 0;
        }
        nint entry = translated.Entry | NativeEntryTag | (translated.NeedsFlagsIn ? NativeFlagsInTag : 0);
        Volatile.Write(ref block.CompiledEntry, entry);
        BlocksTranslated++;
        return entry;
    }

    /// <summary>Runs a translated block; where it stopped early (a TLB miss, an instruction it leaves
    /// to the interpreter) the interpreter runs the rest of the block.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int RunNative(nint entry, DecodedBlock block, long budget)
    {
        ulong* state = (ulong*)Unsafe.AsPointer(ref R(0));
        state[NativeState.Retired] = 0;
        state[NativeState.Budget] = (ulong)Math.Min(budget, NativeCallBudget);
        if ((entry & NativeFlagsInTag) != 0)
        {
            state[NativeState.Flags] = (MaterializeFlags() & RflagsBits.Arithmetic) | RflagsBits.Fixed;
        }
        ulong blockRip = _rip;
        state[NativeState.BlockRip] = blockRip;
        int result = ((delegate* unmanaged[SuppressGCTransition]<ulong*, int>)(entry & ~NativeTagMask))(state);
        if ((result & NativeState.FlagsOut) != 0)
        {
            SetArithmeticFlags(state[NativeState.Flags]);
        }
        int index = result >> NativeState.IndexShift;
        int passes = (int)state[NativeState.Retired];
        if ((result & NativeState.StoppedBefore) == 0)
        {
            _rip = state[NativeState.NextRip];
            return passes + index;
        }
        _rip = blockRip + block.Instructions[index].Offset;
        return passes + index + ExecuteBlock(block, index, block.Length);
    }
}
