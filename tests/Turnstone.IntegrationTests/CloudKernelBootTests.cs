using Turnstone.Machine;
using Xunit.Abstractions;

namespace Turnstone.IntegrationTests;

/// <summary>
/// Debian's cloud kernel, the real-world guest. On hosts that emulate guest kernel code it takes
/// well over ten minutes and still meets instructions the monitor does not emulate yet (see the
/// README), so it carries its own category: <c>./build.sh test-cloud</c> runs it.
/// </summary>
[Trait("Category", "CloudKernel")]
[Trait("Speed", "Slow")]
public sealed class CloudKernelBootTests(ITestOutputHelper output) : LinuxBootTestBase(output)
{
    /// <summary>
    /// The cloud kernel spends most of its boot, on hosts that emulate guest kernel code, in work a
    /// test VM does not need; these options skip it (see README, "Nested hosts").
    /// </summary>
    public const string CloudKernelCommandLine = MachineConfig.DefaultCommandLine +
        " cryptomgr.notests=1 mitigations=off init_on_alloc=0 initcall_blacklist=ftrace_check_for_weak_functions";

    [Fact]
    public void DebianCloudKernelBootsToInitramfs()
    {
        var run = Boot(GuestImages.CloudKernel, CloudKernelCommandLine, memory: 256ul << 20);
        AssertReachedInitAndReset(run);
    }
}
