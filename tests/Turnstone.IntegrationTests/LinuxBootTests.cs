using Turnstone.Engine;
using Turnstone.Machine;
using Xunit.Abstractions;

namespace Turnstone.IntegrationTests;

/// <summary>
/// Real Debian-built kernels booted to the initramfs's marker line, on the software engine (seconds)
/// and under KVM (minutes each on hosts that emulate guest kernel code); each test prints its boot figures.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Speed", "Slow")]
public sealed class LinuxBootTests(ITestOutputHelper output) : LinuxBootTestBase(output)
{
    [Theory, OnSoftEngine, OnKvm]
    public void MinimalKernelBootsToInitramfsWithHostDecompression(EngineChoice engine)
    {
        var run = Boot(GuestImages.MinimalKernel, engine: engine);
        AssertReachedInitAndReset(run);
    }

    [Theory, OnSoftEngine, OnKvm]
    public void MinimalKernelBootsThroughItsOwnDecompressor(EngineChoice engine)
    {
        var run = Boot(GuestImages.MinimalKernel, decompressOnHost: false, engine: engine);
        AssertReachedInitAndReset(run);
    }

    [Theory, OnSoftEngine, OnKvm]
    public void MinimalKernelResetsThroughTheFadtResetRegister(EngineChoice engine)
    {
        // reboot=a: Linux resets through the register the FADT names (port 0x606, value 1).
        var commandLine = MachineConfig.DefaultCommandLineFor(engine == EngineChoice.Kvm ? EngineKind.Kvm : EngineKind.Software);
        var run = Boot(GuestImages.MinimalKernel, commandLine.Replace("reboot=k", "reboot=a"), engine: engine);
        AssertReachedInitAndReset(run);
        Assert.Contains("ACPI reset register", run.Exit.Reason);
    }

    [Theory, OnSoftEngine, OnKvm]
    public void MinimalVmlinuxElfBootsToInitramfs(EngineChoice engine)
    {
        var run = Boot(GuestImages.MinimalVmlinux, engine: engine);
        AssertReachedInitAndReset(run);
    }

}
