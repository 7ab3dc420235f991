namespace Turnstone.Bench.Engine;

/// <summary>The loops <c>turnstone bench engine</c> runs as bare guests, natively and under QEMU TCG.</summary>
public enum GuestLoopKind
{
    /// <summary>Register-only integer work of the kind compilers emit (8 instructions an iteration).</summary>
    Integer,
    /// <summary>A load, an add and a store per element over two 8 MiB arrays (6 instructions an element).</summary>
    Memory,
}
