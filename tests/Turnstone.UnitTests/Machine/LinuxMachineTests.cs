using Turnstone.Bench.Engine;
using Turnstone.Engine;
using Turnstone.Firmware;
using Turnstone.Machine;
using Turnstone.Machine.Engines;
using Turnstone.UnitTests.TestSupport;

namespace Turnstone.UnitTests.Machine;

/// <summary>Everything <see cref="LinuxMachine.Prepare"/> refuses before any VM (or /dev/kvm) is touched.</summary>
public sealed class LinuxMachineTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("turnstone-machine-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string WriteFile(string name, byte[] bytes)
    {
        string path = Path.Combine(_directory.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void A_missing_kernel_is_named_in_the_error()
    {
        string path = Path.Combine(_directory.FullName, "no-such-bzImage");

        var error = Assert.Throws<BootImageException>(() => LinuxMachine.Prepare(new MachineConfig { KernelPath = path }));

        Assert.StartsWith($"cannot read kernel '{path}'", error.Message);
    }

    [Fact]
    public void A_missing_initrd_is_named_in_the_error()
    {
        string kernel = WriteFile("bzImage", new BzImageBuilder().Build());
        string initrd = Path.Combine(_directory.FullName, "missing.cpio");

        var error = Assert.Throws<BootImageException>(() =>
            LinuxMachine.Prepare(new MachineConfig { KernelPath = kernel, InitrdPath = initrd }));

        Assert.StartsWith($"cannot read initrd '{initrd}'", error.Message);
    }

    [Theory]
    [InlineData(16ul << 20)]
    [InlineData((32ul << 20) - 4096)]
    [InlineData((64ul << 20) + 100)]
    public void Memory_below_32MiB_or_not_in_pages_is_rejected(ulong memory)
    {
        string kernel = WriteFile("bzImage", new BzImageBuilder().Build());

        var error = Assert.Throws<ArgumentException>(() => LinuxMachine.Prepare(new MachineConfig { KernelPath = kernel, MemoryBytes = memory }));

        Assert.Equal("--memory must be a multiple of 4 KiB and at least 32 MiB", error.Message);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    public void More_than_one_vCPU_is_rejected_with_the_reason(int cpus)
    {
        string kernel = WriteFile("bzImage", new BzImageBuilder().Build());

        var error = Assert.Throws<ArgumentException>(() => LinuxMachine.Prepare(new MachineConfig { KernelPath = kernel, Cpus = cpus }));

        Assert.StartsWith("--cpus other than 1 is not supported yet", error.Message);
        Assert.Contains("only vCPU 0", error.Message);
    }

    [Fact]
    public void A_malformed_kernel_is_rejected_naming_the_problem()
    {
        byte[] bytes = new BzImageBuilder().Build();
        bytes[0x1FE] = 0;
        string kernel = WriteFile("bzImage", bytes);

        var error = Assert.Throws<BootImageException>(() => LinuxMachine.Prepare(new MachineConfig { KernelPath = kernel }));

        Assert.Contains("no boot sector signature 0xAA55", error.Message);
    }

    [Fact]
    public void An_empty_kernel_file_is_rejected()
    {
        string kernel = WriteFile("empty", []);

        var error = Assert.Throws<BootImageException>(() => LinuxMachine.Prepare(new MachineConfig { KernelPath = kernel }));

        Assert.Equal("kernel file is empty", error.Message);
    }

    [Fact]
    public void A_kernel_too_big_for_the_memory_is_rejected_before_any_VM_exists()
    {
        string kernel = WriteFile("bzImage", new BzImageBuilder { PreferredAddress = 0x100_0000, InitSize = 0x200_0000 }.Build());

        var error = Assert.Throws<BootImageException>(() =>
            LinuxMachine.Prepare(new MachineConfig { KernelPath = kernel, MemoryBytes = 32ul << 20 }));

        Assert.Contains("increase --memory", error.Message);
    }

    [Fact]
    public void A_valid_kernel_prepares_without_KVM_and_is_described_as_parsed()
    {
        // The builder's payload starts with the xz magic, which the host does not decompress.
        string kernel = WriteFile("bzImage", new BzImageBuilder { Version = 0x020C }.Build());

        // --engine kvm is taken as asked: /dev/kvm is first opened when the machine runs.
        var machine = LinuxMachine.Prepare(new MachineConfig { KernelPath = kernel, MemoryBytes = 64ul << 20, Engine = EngineChoice.Kvm });

        Assert.Equal("bzImage, protocol 2.12, Xz payload decompressed by the guest", machine.KernelDescription);
        Assert.Equal(EngineKind.Kvm, machine.Engine);
    }

    [Fact]
    public void Linux_prepares_for_the_software_engine_with_its_own_default_command_line()
    {
        string kernel = WriteFile("bzImage", new BzImageBuilder { Version = 0x020C }.Build());

        var machine = LinuxMachine.Prepare(new MachineConfig { KernelPath = kernel, MemoryBytes = 64ul << 20, Engine = EngineChoice.Soft });

        Assert.Equal(EngineKind.Software, machine.Engine);
        Assert.DoesNotContain("noxsave", MachineConfig.DefaultCommandLineFor(EngineKind.Software));
        Assert.DoesNotContain("clearcpuid", MachineConfig.DefaultCommandLineFor(EngineKind.Software));
        Assert.Contains("noxsave", MachineConfig.DefaultCommandLineFor(EngineKind.Kvm));
    }

    [Fact]
    public void A_freestanding_PVH_guest_prepares_for_the_software_engine()
    {
        // hlt at the entry: enough for Prepare, which never runs it.
        string kernel = WriteFile("pvh.elf", PvhElf.Build([0xF4], 0x10_0000, 0x10_0000));

        var machine = LinuxMachine.Prepare(new MachineConfig { KernelPath = kernel, MemoryBytes = 64ul << 20, Engine = EngineChoice.Soft });

        Assert.Equal(EngineKind.Software, machine.Engine);
        Assert.Equal("--engine soft", machine.EngineReason);
        Assert.StartsWith("PVH ELF", machine.KernelDescription);
    }
}
