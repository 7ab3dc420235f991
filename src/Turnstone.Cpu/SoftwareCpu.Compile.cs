using System.Runtime.CompilerServices;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// The second tier: a 64-bit block the interpreter ran CompileThreshold times is compiled to .NET
// code (Compiler/SoftwareCpu.BlockCompiler.cs) and run in its place whenever the whole block may
// run (no interrupt shadow, no replayed MMIO read, budget for all of it).
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>Interpreted runs of a block before it is compiled.</summary>
    public const int DefaultCompileThreshold = 48;

    /// <summary>The threshold new CPUs start with: TURNSTONE_COMPILE_THRESHOLD when set (so a whole
    /// process, a benchmark or a test run, can be put on one tier), else the default.</summary>
    private static readonly int InitialCompileThreshold =
        int.TryParse(Environment.GetEnvironmentVariable("TURNSTONE_COMPILE_THRESHOLD"), out int threshold) ? threshold : DefaultCompileThreshold;

    private int _compileThreshold = InitialCompileThreshold;

    /// <summary>
    /// Interpreted runs of a 64-bit block before it is compiled to .NET code; 0 compiles a block
    /// on its first run, a negative value keeps every block interpreted.
    /// </summary>
    public int CompileThreshold
    {
        get => _compileThreshold;
        set => _compileThreshold = value;
    }

    /// <summary>Blocks compiled so far (tests check that the compiled tier ran).</summary>
    internal int BlocksCompiled { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private CompiledBlock? CompiledCode(DecodedBlock block)
    {
        CompiledBlock? compiled = block.Compiled;
        if (compiled is null && _compileThreshold >= 0 && _executing64BitCode)
        {
            int runs = block.Executions++;
            // Code compiled for an earlier machine (a component created again) is taken at the first run.
            compiled = runs == _compileThreshold ? CompiledCodeCache.GetOrCompile(block, BlockCompiler.Compile)
                : runs == 0 ? CompiledCodeCache.Find(block)
                : null;
            if (compiled is not null)
            {
                block.Compiled = compiled;
                BlocksCompiled++;
            }
        }
        return compiled;
    }
}
