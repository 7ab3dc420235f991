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

/// <summary>
/// A compiled block's delegate, which keeps its DynamicMethod (and so its code) alive, and the
/// method's entry point, which the run loop calls with the block's instructions as the first
/// argument (the delegate binds them): reading the delegate object at every dispatch was a cache
/// miss of its own (4-5% of the vCPU's samples in a Debian 12 boot sat on it).
/// </summary>
internal sealed record CompiledMethod(CompiledBlock Code, nint Entry)
{
    /// <summary>
    /// The runtime's own field for a delegate's code address. A DynamicMethod has no other way to
    /// give it: its MethodHandle throws, and IL may not ldftn it. For a delegate bound to the first
    /// argument of a static method (ours), the runtime calls exactly this address with the bound
    /// array as that argument. Looked up once: a runtime without it fails every compile loudly.
    /// </summary>
    private static readonly System.Reflection.FieldInfo MethodPointer =
        typeof(Delegate).GetField("_methodPtr", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)
        ?? throw new MissingFieldException(nameof(Delegate), "_methodPtr");

    /// <summary>The compiled method with its entry point, read once the JIT has compiled it.</summary>
    public static CompiledMethod Of(CompiledBlock code) => new(code, (nint)MethodPointer.GetValue(code)!);
}
