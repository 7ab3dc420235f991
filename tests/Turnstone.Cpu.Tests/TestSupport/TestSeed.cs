namespace Turnstone.Cpu.Tests.TestSupport;

/// <summary>
/// The seed of a differential test's random cases: its name hashed the same way in every process
/// (FNV-1a; string.GetHashCode differs per process, so a failing case could not be run again), mixed
/// with TURNSTONE_TEST_SEED when that is set, to draw other cases on purpose.
/// </summary>
public static class TestSeed
{
    private static readonly int Extra =
        int.TryParse(Environment.GetEnvironmentVariable("TURNSTONE_TEST_SEED"), out int seed) ? seed : 0;

    public static int Of(string testName)
    {
        uint hash = 2_166_136_261;
        foreach (char c in testName)
        {
            hash = (hash ^ c) * 16_777_619;
        }
        return (int)hash ^ Extra;
    }
}
