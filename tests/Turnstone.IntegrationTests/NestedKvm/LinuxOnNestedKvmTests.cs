using Turnstone.Engine;
using Xunit.Abstractions;

namespace Turnstone.IntegrationTests.NestedKvm;

/// <summary>
/// Linux booted by our command line on KVM where the host has no usable KVM at all: on KVM nested
/// in QEMU (<see cref="KvmHostVm"/>). The minimal kernel and Debian's cloud kernel (its virtio
/// initramfs) each find their root on virtio-blk, write 1 MiB there, check it and power off, as the
/// in-process KVM rows of <see cref="VirtioDiskBootTests"/> do where /dev/kvm exists.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Speed", "Slow")]
public sealed class LinuxOnNestedKvmTests(ITestOutputHelper output)
{
    [KvmInQemuFact(NestedKvmRows.AnyGuest)]
    public void The_minimal_kernel_writes_its_virtio_root_and_powers_off()
    {
        AssertWritesRootAndPowersOff(GuestImages.MinimalKernel, initrd: null);
    }

    [KvmInQemuFact(NestedKvmRows.AnyGuest)]
    public void The_cloud_kernel_loads_its_virtio_modules_writes_its_root_and_powers_off()
    {
        AssertWritesRootAndPowersOff(GuestImages.CloudKernel, GuestImages.VirtioInitramfs);
    }

    private void AssertWritesRootAndPowersOff(string kernel, string? initrd)
    {
        var files = new Dictionary<string, string> { ["kernel"] = kernel, ["rootfs.ext4"] = GuestImages.RootFileSystem };
        var arguments = new List<string> { "run", "--kernel", "/guest/kernel", "--disk", "/guest/rootfs.ext4", "--engine", "kvm",
            "--cmdline", $"console=ttyS0 root=/dev/vda rw {VirtioDiskBootTests.Tuning(EngineChoice.Kvm)} turnstone.action=write" };
        if (initrd is not null)
        {
            files["initrd"] = initrd;
            arguments.AddRange(["--initrd", "/guest/initrd"]);
        }

        var (status, text) = KvmHostVm.Run(arguments, files, ScriptedConsole.RecordOnly(), TimeSpan.FromMinutes(5), output);

        KvmHostVm.AssertExitStatus(0, status, text);
        Assert.Contains("engine kvm", text);
        Assert.Contains("turnstone-guest: root file system reached", text);
        Assert.Contains($"turnstone-guest: wrote {VirtioDiskBootTests.ExpectedChecksum()}", text);
        Assert.Contains("guest powered off", text);
    }
}
