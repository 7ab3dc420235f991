using System.Runtime.CompilerServices;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// The second tier: a block the interpreter ran CompileThreshold times is compiled to .NET
// code (Compiler/SoftwareCpu.BlockCompiler.cs) and run in its place whenever the whole block may
// run (no interrupt shadow, no replayed MMIO read, budget for all of it).
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>Interpreted runs of a block before it is compiled.</summary>
    public const int DefaultCompileThreshold = 48;

    /// <summary>
    /// The threshold for code that warms many blocks a few thousand times each, as a Linux kernel
    /// does. Its compiled blocks are short, and loading and storing their registers around the
    /// instructions still run through the interpreter can cost more than it gains: Debian's cloud
    /// kernel booted in 22-24 s on the software engine with threshold 48, 14.1 s interpreted,
    /// 11.0 s at 4,000 and 10.2 s at 20,000 (2026-12-06, this 2-core host, background compilation).
    /// </summary>
    public const int BroadCodeCompileThreshold = 10_000;

    /// <summary>Jump-cache entries per privilege for code like a distribution's boot, whose kernel and
    /// many processes keep far more than the default's 4,096 blocks in use: with the default, RIPs sharing
    /// a slot cost a Debian 12 boot about 37 million lookups of blocks by address.</summary>
    public const int BroadCodeJumpCacheEntries = 16_384;

    /// <summary>TLB entries per set for such code: a Debian 12 boot to its login prompt missed the TLB
    /// (a page walk each) 10.8-11.4 million times with 256 entries a set, 4.7-5.9 million with 1,024,
    /// 2.8-3.1 million with 2,048; 1,024 keeps a CR3 write's sweep of the non-global entries short.</summary>
    public const int BroadCodeTlbEntries = 1024;

    /// <summary>The decoded-code budget for such code (SoftwareCpu.DecodedCodeBudget.cs): with the
    /// default 16 MiB a Debian 12 boot to its login prompt dropped every block about 30 times and decoded
    /// 1.53 million blocks, 2.75 s of the vCPU's time; with 32 MiB it decoded 0.55 million in 1.29 s,
    /// for 18 MiB more managed heap (47 instead of 29 MiB at the prompt; 64 MiB: 0.34 million, 81 MiB).</summary>
    public const long BroadCodeDecodedCodeBudgetBytes = 32L << 20;

    /// <summary>TURNSTONE_COMPILE_THRESHOLD when set (so a whole process, a benchmark or a test run,
    /// can be put on one tier), which then wins over every default.</summary>
    public static int? EnvironmentCompileThreshold { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("TURNSTONE_COMPILE_THRESHOLD"), out int threshold) ? threshold : null;

    private int _compileThreshold = RuntimeFeature.IsDynamicCodeSupported ? EnvironmentCompileThreshold ?? DefaultCompileThreshold : -1;

    /// <summary>
    /// Interpreted runs of a block before it is compiled to .NET code; 0 compiles a block
    /// on its first run, a negative value keeps every block interpreted. Always negative in a process
    /// compiled ahead of time (NativeAOT: no dynamic code), where the host-code tier takes its place
    /// (<see cref="NativeCompileThreshold"/>).
    /// </summary>
    public int CompileThreshold
    {
        get => _compileThreshold;
        set => _compileThreshold = RuntimeFeature.IsDynamicCodeSupported ? value : -1;
    }

    /// <summary>
    /// Compile hot blocks on a background thread (<see cref="BackgroundBlockCompiler"/>) instead of
    /// where they got hot; the block runs interpreted meanwhile. For guests that warm many blocks
    /// (Linux); off by default, so a block's tier is deterministic (tests, component calls).
    /// </summary>
    public bool CompileInBackground { get; set; }

    /// <summary>Turns a block into .NET code (null: not worth it); tests put a faulty compiler here.</summary>
    internal Func<DecodedInstruction[], CompiledBlock?> Compiler { get; set; } = BlockCompiler.Compile;

    /// <summary>Blocks compiled so far (tests check that the compiled tier ran).</summary>
    internal int BlocksCompiled { get; private set; }

    /// <summary>Blocks whose compiled code the runtime refused (found when it is made, see <see cref="RunCompiled"/>); 0 unless the compiler has a bug.</summary>
    public int CompileFailures { get; private set; }

    /// <summary>
    /// Runs a block's compiled code. Code the runtime would refuse (a bug in the compiler) never
    /// gets here: <see cref="CompiledCodeCache.GetOrCompile(DecodedBlock, Func{DecodedInstruction[], CompiledBlock?}, out bool)"/>
    /// has the JIT compile each method before it is handed out, so no handler wraps the call (the
    /// handler kept this out of the run loop, a call per block).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int RunCompiled(nint entry, DecodedBlock block, long budget) => (entry & NativeEntryTag) != 0
        ? RunNative(entry, block, budget)
        : ((delegate* managed<DecodedInstruction[], SoftwareCpu, long, int>)entry)(block.Instructions, this, Math.Min(budget, int.MaxValue / 2));

    /// <summary>The block's compiled entry point, compiling it (or queueing it) once it is hot; 0: interpret it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private nint CompiledEntry(DecodedBlock block)
    {
        nint entry = block.CompiledEntry;
        if (entry == 0 && (_compileThreshold >= 0 || _nativeThreshold >= 0))
        {
            if (block.TranslatedInBackground is { } translated)
            {
                return AdoptBackgroundTranslation(block, translated);
            }
            int runs = block.Executions++;
            if (runs == _nativeThreshold)
            {
                if (CompileInBackground)
                {
                    BackgroundBlockCompiler.Enqueue(block, TranslateInBackground);
                }
                else if ((entry = TranslateToHost(block)) != 0)
                {
                    return entry;
                }
            }
            if (_compileThreshold < 0)
            {
                return 0;
            }
            if (runs == _compileThreshold && CompileInBackground)
            {
                BackgroundBlockCompiler.Enqueue(block, Compiler);
                return 0;
            }
            // Code compiled for an earlier machine (a component created again) is taken at the first run.
            bool refused = false;
            CompiledMethod? compiled = runs == _compileThreshold ? CompiledCodeCache.GetOrCompile(block, Compiler, out refused)
                : runs == 0 ? CompiledCodeCache.Find(block)
                : null;
            if (refused)
            {
                CompileFailures++;
            }
            if (compiled is not null)
            {
                block.Install(compiled);
                BlocksCompiled++;
                entry = compiled.Entry;
            }
        }
        return entry;
    }
}
