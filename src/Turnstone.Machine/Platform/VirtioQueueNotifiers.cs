using Turnstone.Devices.Pci;
using Turnstone.Devices.VirtioPci;
using Turnstone.HostIo;
using Turnstone.Hypervisor;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Machine.Platform;

/// <summary>
/// Queue notifications of one virtio-pci function without exits to the monitor: KVM completes
/// the driver's notify write itself and signals an eventfd (KVM_IOEVENTFD at the queue's notify
/// address, 2 bytes, as Linux writes it), and a worker thread per queue runs the queue off the
/// vCPU thread. The registrations follow BAR0 wherever the guest maps it; while BAR0 is not
/// decoded, or lies outside the bridge's window, notify writes exit and reach the device through
/// its BAR handler, which runs the same path on the vCPU thread. Each worker
/// (<see cref="VirtioQueueWorker"/>) counts the guest's notifications apart from the wake-ups
/// that completions of requests in flight cause.
/// </summary>
internal sealed class VirtioQueueNotifiers : IDisposable
{
    private const int NotifyWriteLength = 2;

    private readonly INotifyEventRegistrar _notifyEvents;
    private readonly VirtioPciDevice _device;
    private readonly Func<PciBarMapping, bool> _routed;
    private readonly VirtioQueueWorker[] _workers;
    private readonly List<IDisposable> _registrations = [];
    private readonly Lock _gate = new();
    private bool _stopping;

    public VirtioQueueNotifiers(INotifyEventRegistrar notifyEvents, VirtioPciDevice device, string name, Func<PciBarMapping, bool> routed,
        Action<Exception> onFailure)
    {
        _notifyEvents = notifyEvents;
        _device = device;
        _routed = routed;
        Name = name;
        _workers = new VirtioQueueWorker[device.QueueCount];
        for (int queue = 0; queue < device.QueueCount; queue++)
        {
            int index = queue;
            _workers[queue] = new VirtioQueueWorker($"{name} queue {queue}", () => device.Notify(index), onFailure);
        }
        device.Config.BarMappingChanged += change =>
        {
            if (change.Index == VirtioPciDevice.NotifyBar)
            {
                Follow(change.Current);
            }
        };
    }

    public string Name { get; }

    /// <summary>What the guest's notify write to queue <paramref name="queue"/> signals (through the ioeventfd while BAR0 is routed).</summary>
    internal EventFd GuestNotificationOf(int queue) => _workers[queue].GuestNotification;

    /// <summary>What the host signals when a request in flight on queue <paramref name="queue"/> finishes; its worker then runs the queue.</summary>
    public EventFd CompletionEventOf(int queue) => _workers[queue].Completion;

    /// <summary>Queue runs the guest's notify writes caused (several kicks may coalesce into one run).</summary>
    public long GuestNotifications => _workers.Sum(worker => worker.GuestNotifications);

    /// <summary>Queue runs that only completions of requests in flight caused.</summary>
    public long CompletionWakeUps => _workers.Sum(worker => worker.CompletionWakeUps);

    /// <summary>Time the workers spent in the device's queue processing: the device model's share of the I/O.</summary>
    public TimeSpan Busy => _workers.Aggregate(TimeSpan.Zero, (sum, worker) => sum + worker.Busy);

    private void Follow(PciBarMapping bar)
    {
        lock (_gate)
        {
            foreach (var registration in _registrations)
            {
                registration.Dispose();
            }
            _registrations.Clear();
            if (_stopping || !bar.Enabled || !_routed(bar))
            {
                return;
            }
            try
            {
                for (int queue = 0; queue < _workers.Length; queue++)
                {
                    _registrations.Add(_notifyEvents.Register(_workers[queue].GuestNotification, bar.Address + _device.NotifyOffsetOf(queue), NotifyWriteLength));
                }
            }
            catch (KvmException)
            {
                // Another function's notify area already claims the address (the guest overlapped
                // two BARs). The writes keep exiting and the bus decides who gets them.
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            foreach (var registration in _registrations)
            {
                registration.Dispose();
            }
            _registrations.Clear();
        }
        foreach (var worker in _workers)
        {
            worker.Dispose();
        }
    }
}
