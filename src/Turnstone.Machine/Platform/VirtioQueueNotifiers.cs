using System.Diagnostics;
using Turnstone.Devices.Pci;
using Turnstone.Devices.VirtioPci;
using Turnstone.Hypervisor;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.Machine.Platform;

/// <summary>
/// Queue notifications of one virtio-pci function without exits to the monitor: KVM completes
/// the driver's notify write itself and signals an eventfd (KVM_IOEVENTFD at the queue's notify
/// address, 2 bytes, as Linux writes it), and a worker thread per queue runs the queue off the
/// vCPU thread. The registrations follow BAR0 wherever the guest maps it; while BAR0 is not
/// decoded, or lies outside the bridge's window, notify writes exit and reach the device through
/// its BAR handler, which runs the same path on the vCPU thread.
/// </summary>
internal sealed class VirtioQueueNotifiers : IDisposable
{
    private const int NotifyWriteLength = 2;

    private readonly INotifyEventRegistrar _notifyEvents;
    private readonly VirtioPciDevice _device;
    private readonly Func<PciBarMapping, bool> _routed;
    private readonly Action<Exception> _onFailure;
    private readonly EventFd[] _events;
    private readonly Thread[] _workers;
    private readonly List<IDisposable> _registrations = [];
    private readonly Lock _gate = new();
    private volatile bool _stopping;
    private long _kicks, _busyTicks;

    public VirtioQueueNotifiers(INotifyEventRegistrar notifyEvents, VirtioPciDevice device, string name, Func<PciBarMapping, bool> routed,
        Action<Exception> onFailure)
    {
        _notifyEvents = notifyEvents;
        _device = device;
        _routed = routed;
        _onFailure = onFailure;
        Name = name;
        _events = new EventFd[device.QueueCount];
        _workers = new Thread[device.QueueCount];
        for (int queue = 0; queue < device.QueueCount; queue++)
        {
            _events[queue] = new EventFd();
            int index = queue;
            _workers[queue] = new Thread(() => Serve(index)) { IsBackground = true, Name = $"{name} queue {queue}" };
            _workers[queue].Start();
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

    /// <summary>What queue <paramref name="queue"/>'s worker waits on; anything that signals it gets the queue run.</summary>
    public EventFd EventOf(int queue) => _events[queue];

    /// <summary>Notifications the workers served (several guest kicks may coalesce into one).</summary>
    public long Kicks => Interlocked.Read(ref _kicks);

    /// <summary>Time the workers spent in the device's queue processing: the device model's share of the I/O.</summary>
    public TimeSpan Busy => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _busyTicks));

    private void Serve(int queue)
    {
        try
        {
            while (true)
            {
                _events[queue].Wait();
                if (_stopping)
                {
                    return;
                }
                long start = Stopwatch.GetTimestamp();
                _device.Notify(queue);
                Interlocked.Add(ref _busyTicks, Stopwatch.GetTimestamp() - start);
                Interlocked.Increment(ref _kicks);
            }
        }
        catch (Exception e) when (!_stopping)
        {
            _onFailure(e);
        }
    }

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
                for (int queue = 0; queue < _events.Length; queue++)
                {
                    _registrations.Add(_notifyEvents.Register(_events[queue], bar.Address + _device.NotifyOffsetOf(queue), NotifyWriteLength));
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
        foreach (var fd in _events)
        {
            fd.Signal();
        }
        foreach (var worker in _workers)
        {
            worker.Join();
        }
        foreach (var fd in _events)
        {
            fd.Dispose();
        }
    }
}
