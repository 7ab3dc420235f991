namespace Turnstone.Cpu.Internal;

/// <summary>
/// A decoded block compiled to .NET code: runs the whole block (and, for a block that jumps back
/// to its own start, further passes while <paramref name="budget"/> allows and nothing waits),
/// returns the instructions retired and leaves RIP, registers and the lazy flags exactly as the
/// interpreter would.
/// </summary>
internal delegate int CompiledBlock(SoftwareCpu cpu, long budget);
