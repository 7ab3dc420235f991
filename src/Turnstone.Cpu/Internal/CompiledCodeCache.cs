using System.Collections.Concurrent;

namespace Turnstone.Cpu.Internal;

/// <summary>
/// Compiled blocks shared by every CPU in the process, keyed by the bytes a block was decoded
/// from: the decoded form, and so the compiled code, depends on nothing else (the CPU is an
/// argument). A component machine created afresh then finds its hot loops compiled already
/// instead of paying the IL emission and the JIT again. Bounded: cleared when full.
/// </summary>
internal static class CompiledCodeCache
{
    private const int MaxEntries = 16384;
    private static readonly ConcurrentDictionary<byte[], CompiledBlock?> Blocks = new(new CodeComparer());

    /// <summary>The compiled form of code compiled before, or null.</summary>
    public static CompiledBlock? Find(DecodedBlock block) => Blocks.TryGetValue(block.Code, out var compiled) ? compiled : null;

    /// <summary>The compiled form of <paramref name="block"/> (null: not worth compiling), made once per distinct code.</summary>
    public static CompiledBlock? GetOrCompile(DecodedBlock block, Func<DecodedInstruction[], CompiledBlock?> compile)
    {
        if (Blocks.TryGetValue(block.Code, out var compiled))
        {
            return compiled;
        }
        compiled = compile(block.Instructions);
        if (Blocks.Count >= MaxEntries)
        {
            Blocks.Clear();
        }
        Blocks.TryAdd(block.Code, compiled);
        return compiled;
    }

    /// <summary>Remembers <paramref name="block"/>'s code as not compilable (its compiled form was refused by the runtime).</summary>
    public static void Reject(DecodedBlock block) => Blocks[block.Code] = null;

    private sealed class CodeComparer : IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        /// <summary>The length and the first and last 16 bytes: hashing whole blocks cost more than a
        /// fresh component machine's interpreted start-up gains (Equals compares everything).</summary>
        public int GetHashCode(byte[] code)
        {
            var hash = new HashCode();
            hash.Add(code.Length);
            hash.AddBytes(code.AsSpan(0, Math.Min(16, code.Length)));
            hash.AddBytes(code.AsSpan(Math.Max(0, code.Length - 16)));
            return hash.ToHashCode();
        }
    }
}
