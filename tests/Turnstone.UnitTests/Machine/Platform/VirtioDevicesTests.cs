using Turnstone.Devices.Bus;
using Turnstone.Devices.Pci;
using Turnstone.Devices.Virtio.Block;
using Turnstone.HostIo;
using Turnstone.Hypervisor.Kvm;
using Turnstone.Machine;
using Turnstone.Machine.Platform;
using Turnstone.UnitTests.Pci;

namespace Turnstone.UnitTests.Machine.Platform;

/// <summary>
/// The machine's virtio functions built over guest RAM mapped as a VM maps it, a real image file and
/// a real io_uring, with KVM's parts (MSI, INTx, ioeventfds) recorded instead: a disk another
/// monitor holds is refused by name, and teardown stops each disk's queue workers before it closes
/// the io_uring they reap and the file it reads and writes.
/// </summary>
public sealed class VirtioDevicesTests : IDisposable
{
    private readonly string _image = Path.Combine("/var/tmp", $"turnstone-virtio-devices-{Guid.NewGuid():N}.img");
    private readonly MappedGuestMemory _memory = new();
    private readonly RecordingNotifyEvents _notifyEvents = new();
    private readonly DeviceBus _mmio = new();
    private readonly List<Exception> _workerFailures = [];

    public VirtioDevicesTests()
    {
        File.WriteAllBytes(_image, new byte[1 << 20]);
        _memory.AddRegion(0, 4 << 20);
    }

    public void Dispose()
    {
        _memory.Dispose();
        File.Delete(_image);
    }

    /// <summary>The devices as LinuxMachine creates them, each time on a machine of its own buses.</summary>
    private VirtioDevices Create(DeviceBus mmio, params DiskConfig[] disks)
    {
        var host = new VirtioHost(_memory, new RecordingMsiSink(), _notifyEvents);
        var layout = PcPlatform.Lay(disks.Length);
        var pci = new PciPlatform(layout.Builder.PciRoot, mmio, new DeviceBus(), _ => new RecordingInterruptLine(), log: null);
        // Called on a queue worker's thread: recorded, and checked on the test's.
        return VirtioDevices.Create(host, pci, layout.Disks, layout.Console, disks, Stream.Null, e =>
        {
            lock (_workerFailures)
            {
                _workerFailures.Add(e);
            }
        });
    }

    /// <summary>Whether this process holds a descriptor for <paramref name="path"/> (the image by default), from /proc/self/fd.</summary>
    private bool IsOpen(string? path = null) =>
        new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos().Any(fd =>
        {
            try
            {
                return fd.LinkTarget == (path ?? _image);
            }
            catch (IOException)
            {
                return false; // closed between listing and reading
            }
        });

    [Fact]
    public void A_disk_already_in_use_is_refused_with_a_message_naming_the_file()
    {
        using var first = Create(new DeviceBus(), new DiskConfig(_image));

        var error = Assert.Throws<IOException>(() => Create(new DeviceBus(), new DiskConfig(_image)));

        Assert.StartsWith($"cannot open disk image '{_image}': ", error.Message);
        Assert.EndsWith("(is another VM using it?)", error.Message);
    }

    [Fact]
    public void A_disk_is_free_again_once_the_devices_using_it_are_disposed()
    {
        Create(new DeviceBus(), new DiskConfig(_image)).Dispose();

        using var second = Create(new DeviceBus(), new DiskConfig(_image));

        Assert.Single(second.Disks);
    }

    [Fact]
    public void A_disk_refused_as_in_use_closes_the_disks_opened_before_it()
    {
        string vda = Path.Combine("/var/tmp", $"turnstone-virtio-devices-{Guid.NewGuid():N}-vda.img");
        File.WriteAllBytes(vda, new byte[1 << 20]);
        try
        {
            using var otherMonitor = RawFileBlockBackend.Open(_image, isReadOnly: false);

            var error = Assert.Throws<IOException>(() => Create(new DeviceBus(), new DiskConfig(vda), new DiskConfig(_image)));

            Assert.Contains($"'{_image}'", error.Message);
            Assert.False(IsOpen(vda));
        }
        finally
        {
            File.Delete(vda);
        }
    }

    [Fact]
    public void Teardown_stops_the_queue_workers_before_it_closes_the_io_uring_and_the_image()
    {
        var devices = Create(_mmio, new DiskConfig(_image));
        // The guest enables vda's BARs, so its queue notifiers hold an ioeventfd to give back at teardown.
        _mmio.Write(PlatformLayout.EcamBase + PciTestRig.EcamOffset(new PciAddress(0, PcPlatform.FirstVirtioSlot, 0), PciConfigRegisters.Command),
            [(byte)PciCommand.MemorySpace, 0]);
        var vdaNotify = Assert.Single(_notifyEvents.Live);
        bool? imageOpenWhileWorkersStop = null;
        _notifyEvents.OnRemove = _ => imageOpenWhileWorkersStop ??= IsOpen();

        Assert.Collection(devices.DisposalOrder,
            owned => Assert.Equal("hvc0", Assert.IsType<VirtioQueueNotifiers>(owned).Name),
            owned => Assert.Equal("vda", Assert.IsType<VirtioQueueNotifiers>(owned).Name),
            owned => Assert.IsType<UringBlockIo>(owned),
            owned => Assert.IsType<RawFileBlockBackend>(owned));
        devices.Dispose();

        Assert.True(vdaNotify.Removed);
        Assert.True(imageOpenWhileWorkersStop);
        Assert.False(IsOpen());
        Assert.Empty(_workerFailures);
    }
}
