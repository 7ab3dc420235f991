using Turnstone.Machine;
using Xunit.Abstractions;

namespace Turnstone.IntegrationTests;

/// <summary>
/// Debian's cloud kernel, the real-world guest. On hosts that emulate guest kernel code it takes
/// about 19 minutes to reach its init (see the README). <c>./build.sh test</c> (and CI) runs it
/// after the quick tests; <c>./build.sh test-cloud</c> runs it alone.
/// </summary>
[Trait("Category", "CloudKernel")]
[Trait("Speed", "Slow")]
public sealed class CloudKernelBootTests(ITestOutputHelper output) : LinuxBootTestBase(output)
{
    /// <summary>
    /// The cloud kernel spends most of its boot, on hosts that emulate guest kernel code, in work a
    /// test VM does not need; these options skip it (see README, "Nested hosts"). The clearcpuid
    /// list replaces the default's: besides SMAP it hides the SIMD extensions its crypto code
    /// (blake2s_compress_ssse3 for the random pool, AES-NI, PCLMUL) would run at CPL 0, which the
    /// host's emulator rejects and KVM_SET_CPUID2 cannot hide on that host.
    /// </summary>
    public const string CloudKernelCommandLine =
        "console=ttyS0 reboot=k panic=-1 noxsave quiet clearcpuid=smap,ssse3,aes,pclmulqdq,sse4_1,sse4_2,sha_ni" +
        " cryptomgr.notests=1 mitigations=off init_on_alloc=0 initcall_blacklist=ftrace_check_for_weak_functions";

    [Fact]
    public void DebianCloudKernelBootsToInitramfs()
    {
        var run = Boot(GuestImages.CloudKernel, CloudKernelCommandLine, memory: 256ul << 20);
        AssertReachedInitAndReset(run);
    }
}
