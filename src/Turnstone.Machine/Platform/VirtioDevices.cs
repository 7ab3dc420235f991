using Turnstone.Devices.Virtio.Block;
using Turnstone.Devices.Virtio.Console;
using Turnstone.Devices.VirtioPci;
using Turnstone.GuestMemory;
using Turnstone.HostIo;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Machine.Platform;

/// <summary>
/// The machine's virtio functions on PCI: one virtio-blk per disk, then the virtio-console, each
/// in the slot <see cref="PcPlatform"/> recorded for it. Each gets MSI-X through KVM, INTA on its
/// slot's GSI, and exit-free queue notifications. A disk keeps its reads and writes in flight on
/// io_uring (<see cref="UringBlockIo"/>) unless asked for <c>sync</c> or the host has no io_uring.
/// </summary>
internal sealed class VirtioDevices : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private readonly List<VirtioQueueNotifiers> _notifiers = [];

    private VirtioDevices()
    {
    }

    public IReadOnlyList<VirtioPciDevice> Disks { get; private set; } = [];

    /// <summary>The disks' backends (open file, read-only flag, lock), in order: the BIOS's drives 80h, 81h, ... share them.</summary>
    public IReadOnlyList<Devices.Virtio.Block.IBlockBackend> DiskBackends { get; private set; } = [];

    /// <summary>The guest's hvc0: its output goes to the terminal, <see cref="VirtioConsoleDevice.EnqueueInput"/> feeds it.</summary>
    public VirtioConsoleDevice Console { get; private set; } = null!;

    /// <param name="diskSlots">Where each disk's function goes, one per disk in <paramref name="disks"/>.</param>
    /// <param name="consoleSlot">Where the console's function goes.</param>
    public static VirtioDevices Create(VirtualMachine vm, PciPlatform pci, IReadOnlyList<PciFunctionSlot> diskSlots, PciFunctionSlot consoleSlot,
        IReadOnlyList<DiskConfig> disks, Stream consoleOutput, Action<Exception> onFailure, TextWriter? log = null) =>
        Create(VirtioHost.Of(vm), pci, diskSlots, consoleSlot, disks, consoleOutput, onFailure, log);

    internal static VirtioDevices Create(VirtioHost vm, PciPlatform pci, IReadOnlyList<PciFunctionSlot> diskSlots, PciFunctionSlot consoleSlot,
        IReadOnlyList<DiskConfig> disks, Stream consoleOutput, Action<Exception> onFailure, TextWriter? log = null)
    {
        if (diskSlots.Count != disks.Count)
        {
            throw new ArgumentException($"{disks.Count} disks but {diskSlots.Count} slots recorded for them", nameof(diskSlots));
        }
        var devices = new VirtioDevices();
        try
        {
            var msi = vm.Msi;
            var functions = new List<VirtioPciDevice>();
            var backends = new List<Devices.Virtio.Block.IBlockBackend>();
            for (int i = 0; i < disks.Count; i++)
            {
                string name = $"vd{(char)('a' + i)}";
                var backend = OpenDisk(disks[i]);
                devices._owned.Add(backend);
                backends.Add(backend);
                string? unavailable = null;
                UringBlockIo? io = null;
                if (!disks[i].Synchronous)
                {
                    // io_uring writes guest RAM by host address, past the software engine's
                    // invalidation of decoded code; its memory is not host-mapped, so spans keep
                    // every write in its sight.
                    io = vm.Memory is IHostMappedGuestMemory hostMapped
                        ? UringBlockIo.TryCreate(hostMapped, backend, out unavailable)
                        : null;
                    unavailable ??= "the software engine sees device writes to guest RAM through spans only, not io_uring";
                }
                if (io is not null)
                {
                    // Disposed after the queue workers (which may still be reaping) and before the file.
                    devices._owned.Add(io);
                }
                else if (!disks[i].Synchronous)
                {
                    log?.WriteLine($"[turnstone] {name}: one request at a time: {unavailable}");
                }
                var function = new VirtioPciDevice(new VirtioBlockDevice(vm.Memory, backend, null, io), msi);
                var notifiers = devices.Add(vm, pci, diskSlots[i], function, name, onFailure);
                io?.SignalOnCompletion(notifiers.CompletionEventOf(0));
                functions.Add(function);
            }
            devices.Disks = functions;
            devices.DiskBackends = backends;

            var console = new VirtioConsoleDevice(vm.Memory, consoleOutput);
            devices.Add(vm, pci, consoleSlot, new VirtioPciDevice(console, msi), "hvc0", onFailure);
            devices.Console = console;
            return devices;
        }
        catch
        {
            devices.Dispose();
            throw;
        }
    }

    private static RawFileBlockBackend OpenDisk(DiskConfig disk)
    {
        try
        {
            return RawFileBlockBackend.Open(disk.Path, disk.ReadOnly, disk.Direct);
        }
        catch (NotSupportedException e)
        {
            // The file system (or platform) refuses direct I/O; the message names the file and the fix.
            throw new IOException(e.Message, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot open disk image '{disk.Path}': {e.Message} (is another VM using it?)", e);
        }
    }

    private VirtioQueueNotifiers Add(VirtioHost vm, PciPlatform pci, PciFunctionSlot slot, VirtioPciDevice function, string name, Action<Exception> onFailure)
    {
        // Notifiers first: they must see the BAR mapping events the guest causes after Attach.
        var notifiers = new VirtioQueueNotifiers(vm.NotifyEvents, function, name, pci.Routes, onFailure);
        _owned.Add(notifiers);
        _notifiers.Add(notifiers);
        pci.Attach(slot, function);
        return notifiers;
    }

    /// <summary>Per device: queue runs off the vCPU thread, by cause, and the time the device model spent on them.</summary>
    public IReadOnlyList<VirtioWork> Work =>
        _notifiers.Select(n => new VirtioWork(n.Name, n.GuestNotifications, n.CompletionWakeUps, n.Busy)).ToList();

    /// <summary>What <see cref="Dispose"/> closes, in its order: the reverse of creation, so a disk's queue
    /// workers stop before its io_uring closes, and the io_uring before the image file.</summary>
    internal IReadOnlyList<IDisposable> DisposalOrder => Enumerable.Reverse(_owned).ToList();

    public void Dispose()
    {
        // Workers stop before the disks they write close.
        foreach (var owned in DisposalOrder)
        {
            owned.Dispose();
        }
        _owned.Clear();
    }
}
