using Turnstone.Engine;
using Turnstone.Firmware;
using Turnstone.Machine;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Machine;

/// <summary>How <see cref="LinuxMachine.Prepare"/> picks and checks a BIOS boot, before any VM exists.</summary>
public sealed class BiosMachinePrepareTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("turnstone-bios-machine-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string Disk()
    {
        string path = Path.Combine(_directory.FullName, "disk.img");
        File.WriteAllBytes(path, new byte[4096]);
        return path;
    }

    [Theory]
    [InlineData(FirmwareChoice.Auto)]
    [InlineData(FirmwareChoice.Bios)]
    public void A_disk_without_a_kernel_boots_through_the_bios(FirmwareChoice firmware)
    {
        var machine = LinuxMachine.Prepare(new MachineConfig { Disks = [new DiskConfig(Disk())], Firmware = firmware, Engine = EngineChoice.Soft });
        Assert.True(machine.BootsThroughBios);
        Assert.Contains("BIOS", machine.KernelDescription);
    }

    [Fact]
    public void A_kernel_with_firmware_bios_is_a_conflict_named_in_the_error()
    {
        string kernel = Path.Combine(_directory.FullName, "bzImage");
        File.WriteAllBytes(kernel, new BzImageBuilder().Build());
        var error = Assert.Throws<ArgumentException>(() => LinuxMachine.Prepare(new MachineConfig
        {
            KernelPath = kernel, Disks = [new DiskConfig(Disk())], Firmware = FirmwareChoice.Bios, Engine = EngineChoice.Soft,
        }));
        Assert.Contains("--kernel", error.Message);
        Assert.Contains("--firmware bios", error.Message);
    }

    [Fact]
    public void Nothing_to_boot_and_uefi_are_refused_with_the_reason()
    {
        var none = Assert.Throws<ArgumentException>(() => LinuxMachine.Prepare(new MachineConfig { Engine = EngineChoice.Soft }));
        Assert.Contains("--disk", none.Message);
        var uefi = Assert.Throws<ArgumentException>(() => LinuxMachine.Prepare(new MachineConfig
        {
            Disks = [new DiskConfig(Disk())], Firmware = FirmwareChoice.Uefi, Engine = EngineChoice.Soft,
        }));
        Assert.Contains("not implemented yet", uefi.Message);
        var initrd = Assert.Throws<ArgumentException>(() => LinuxMachine.Prepare(new MachineConfig
        {
            Disks = [new DiskConfig(Disk())], InitrdPath = "initrd", Engine = EngineChoice.Soft,
        }));
        Assert.Contains("--initrd needs --kernel", initrd.Message);
    }
}
