namespace Turnstone.Cpu.Internal;

/// <summary>
/// A decoded block compiled to .NET code: runs the whole block (and, for a block that jumps back
/// to its own start, further passes while <paramref name="budget"/> allows and nothing waits),
/// returns the instructions retired and leaves RIP, registers and the lazy flags exactly as the
/// interpreter would. A negative <paramref name="budget"/> returns 0 at once without touching
/// <paramref name="cpu"/> (may be null then): how the background compiler gets the JIT to compile
/// the method on its thread instead of the vCPU's first call.
/// </summary>
internal delegate int CompiledBlock(SoftwareCpu cpu, long budget);
