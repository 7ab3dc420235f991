using Xunit.Abstractions;

namespace Turnstone.IntegrationTests;

/// <summary>
/// Real Debian-built kernels booted to the initramfs's marker line under KVM. Slow on hosts that
/// emulate guest kernel code (minutes each); each test prints its boot figures.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Speed", "Slow")]
public sealed class LinuxBootTests(ITestOutputHelper output) : LinuxBootTestBase(output)
{
    [KvmFact]
    public void MinimalKernelBootsToInitramfsWithHostDecompression()
    {
        var run = Boot(GuestImages.MinimalKernel);
        AssertReachedInitAndReset(run);
    }

    [KvmFact]
    public void MinimalKernelBootsThroughItsOwnDecompressor()
    {
        var run = Boot(GuestImages.MinimalKernel, decompressOnHost: false);
        AssertReachedInitAndReset(run);
    }

    [KvmFact]
    public void MinimalKernelResetsThroughTheFadtResetRegister()
    {
        // reboot=a: Linux resets through the register the FADT names (port 0x606, value 1).
        var run = Boot(GuestImages.MinimalKernel, Turnstone.Machine.MachineConfig.DefaultCommandLine.Replace("reboot=k", "reboot=a"));
        AssertReachedInitAndReset(run);
        Assert.Contains("ACPI reset register", run.Exit.Reason);
    }

    [KvmFact]
    public void MinimalVmlinuxElfBootsToInitramfs()
    {
        var run = Boot(GuestImages.MinimalVmlinux);
        AssertReachedInitAndReset(run);
    }

}
