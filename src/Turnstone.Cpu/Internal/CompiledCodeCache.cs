using System.Collections.Concurrent;

namespace Turnstone.Cpu.Internal;

/// <summary>
/// Compiled blocks shared by every CPU in the process, keyed by the bytes a block was decoded
/// from and the code size they were decoded for: the decoded form, and so the compiled code,
/// depends on nothing else (the CPU is an argument). A component machine created afresh then finds its hot loops compiled already
/// instead of paying the IL emission and the JIT again. Bounded: cleared when full.
/// </summary>
internal static class CompiledCodeCache
{
    private const int MaxEntries = 16384;
    private static readonly ConcurrentDictionary<(byte[] Code, int CodeSizeTag), CompiledMethod?> Blocks = new(new CodeComparer());

    /// <summary>The compiled form of code compiled before, or null.</summary>
    public static CompiledMethod? Find(DecodedBlock block) => Blocks.TryGetValue(Key(block), out var compiled) ? compiled : null;

    /// <summary>The compiled form of <paramref name="block"/> (null: not worth compiling, or refused), made once per distinct code.</summary>
    public static CompiledMethod? GetOrCompile(DecodedBlock block, Func<DecodedInstruction[], CompiledBlock?> compile) =>
        GetOrCompile(block, compile, out _);

    /// <summary>
    /// As above; <paramref name="refused"/> tells that the runtime refused the compiled code (a bug
    /// in the compiler): the code is remembered as not compilable and null returned. The new method
    /// is called once here with a negative budget (it returns before it touches anything), so the
    /// JIT compiles it on this thread (off the vCPU's, for the background compiler) and an
    /// InvalidProgramException surfaces here, before any of the guest's state could change: the
    /// vCPU then calls compiled code without a handler around each call.
    /// </summary>
    public static CompiledMethod? GetOrCompile(DecodedBlock block, Func<DecodedInstruction[], CompiledBlock?> compile, out bool refused)
    {
        refused = false;
        if (Blocks.TryGetValue(Key(block), out var compiled))
        {
            return compiled;
        }
        if (compile(block.Instructions) is { } code)
        {
            refused = !JitHere(code);
            compiled = refused ? null : CompiledMethod.Of(code);
        }
        if (Blocks.Count >= MaxEntries)
        {
            Blocks.Clear();
        }
        Blocks.TryAdd(Key(block), compiled);
        return compiled;
    }

    private static (byte[] Code, int CodeSizeTag) Key(DecodedBlock block) => (block.Code, block.CodeSizeTag);

    private static bool JitHere(CompiledBlock compiled)
    {
        try
        {
            compiled(null!, -1);
            return true;
        }
        catch (InvalidProgramException)
        {
            return false;
        }
    }

    private sealed class CodeComparer : IEqualityComparer<(byte[] Code, int CodeSizeTag)>
    {
        public bool Equals((byte[] Code, int CodeSizeTag) x, (byte[] Code, int CodeSizeTag) y) =>
            x.CodeSizeTag == y.CodeSizeTag && x.Code.AsSpan().SequenceEqual(y.Code);

        /// <summary>The length and the first and last 16 bytes: hashing whole blocks cost more than a
        /// fresh component machine's interpreted start-up gains (Equals compares everything).</summary>
        public int GetHashCode((byte[] Code, int CodeSizeTag) key)
        {
            byte[] code = key.Code;
            var hash = new HashCode();
            hash.Add(key.CodeSizeTag);
            hash.Add(code.Length);
            hash.AddBytes(code.AsSpan(0, Math.Min(16, code.Length)));
            hash.AddBytes(code.AsSpan(Math.Max(0, code.Length - 16)));
            return hash.ToHashCode();
        }
    }
}
