namespace Turnstone.Cpu.Tests.TestSupport;

/// <summary>
/// The compile threshold the test machines give their software CPU. 1 by default: every block
/// runs once in the interpreter and then compiled, so tests cover both tiers and the hand-over
/// between them. TURNSTONE_COMPILE_THRESHOLD overrides it (0: compiled from the first run,
/// -1: the interpreter alone), to run the whole suite on one tier.
/// </summary>
public static class TestTier
{
    public static int CompileThreshold { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("TURNSTONE_COMPILE_THRESHOLD"), out int threshold) ? threshold : 1;

    /// <summary>The host-code tier's threshold: off unless TURNSTONE_NATIVE_THRESHOLD sets it (`./build.sh test`
    /// runs the suite once more with it at 0, so every test's blocks run as host code from their first run).</summary>
    public static int NativeCompileThreshold { get; } = SoftwareCpu.EnvironmentNativeThreshold ?? -1;
}
