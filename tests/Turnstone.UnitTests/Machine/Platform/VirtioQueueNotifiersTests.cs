using Turnstone.Devices.Pci;
using Turnstone.Devices.VirtioPci;
using Turnstone.GuestMemory;
using Turnstone.HostIo;
using Turnstone.Machine.Platform;
using Turnstone.UnitTests.VirtioPci;

namespace Turnstone.UnitTests.Machine.Platform;

/// <summary>
/// <see cref="VirtioQueueNotifiers"/> on a virtio-pci function driven the way Linux drives it, with
/// KVM_IOEVENTFD recorded instead of made: one notify eventfd per queue wherever the guest puts
/// BAR0 and only while it decodes it, a worker per queue that runs the queue when its eventfd is
/// signalled, and a shutdown that removes the registrations, lets a busy worker finish, and only
/// then closes the eventfds.
/// </summary>
public sealed class VirtioQueueNotifiersTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly ArrayGuestMemory _memory = new(VirtioPciRig.MemorySize);
    private readonly ScriptedVirtioDevice _device;
    private readonly VirtioPciRig _rig;
    private readonly RecordingNotifyEvents _notifyEvents = new();
    private readonly List<Exception> _failures = [];
    private readonly VirtioQueueNotifiers _notifiers;
    private Func<PciBarMapping, bool> _routed = _ => true;
    private bool _disposed;

    public VirtioQueueNotifiersTests()
    {
        _device = new ScriptedVirtioDevice(_memory, queues: 2);
        _rig = new VirtioPciRig(_device, _memory);
        _notifiers = new VirtioQueueNotifiers(_notifyEvents, _rig.Function, "vdx", bar => _routed(bar), e =>
        {
            lock (_failures)
            {
                _failures.Add(e);
            }
        });
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _notifiers.Dispose();
        }
    }

    /// <summary>Where the guest writes to notify <paramref name="queue"/>, computed as vp_notify does from
    /// what it reads: the notify capability's BAR and offset, queue_notify_off and the multiplier.</summary>
    private static ulong GuestNotifyAddress(ModernVirtioPciDriver driver, int queue)
    {
        driver.WriteCommon(VirtioPciCommonConfig.QueueSelect, (ulong)queue, 2);
        ulong notifyOff = driver.ReadCommon(VirtioPciCommonConfig.QueueNotifyOff, 2);
        return driver.BarAddress(driver.Notify.Bar) + driver.Notify.Offset + notifyOff * driver.NotifyOffMultiplier;
    }

    private IEnumerable<(ulong Address, int Length, object EventFd)> Live =>
        _notifyEvents.Live.Select(r => (r.Address, r.Length, (object)r.EventFd));

    private (ulong, int, object) Expected(ModernVirtioPciDriver driver, int queue) =>
        (GuestNotifyAddress(driver, queue), 2, _notifiers.GuestNotificationOf(queue));

    [Fact]
    public void Nothing_is_registered_before_the_guest_enables_decoding()
    {
        Assert.Empty(_notifyEvents.All);
    }

    [Fact]
    public void Enabling_the_bar_registers_a_two_byte_notify_eventfd_per_queue_where_the_guest_writes()
    {
        var driver = _rig.NewDriver(); // pci_enable_device: memory decoding and bus mastering on

        Assert.Equal([Expected(driver, 0), Expected(driver, 1)], Live);
    }

    [Fact]
    public void The_registrations_follow_the_bar_when_the_guest_moves_it()
    {
        var driver = _rig.NewDriver();
        var before = _notifyEvents.Live;
        ulong bar = driver.BarAddress(VirtioPciDevice.NotifyBar);
        ulong moved = bar + 0x100_0000;

        // A 64-bit BAR whose upper half stays: one write of the lower dword moves it.
        _rig.ConfigWrite(PciConfigRegisters.Bar0 + 4 * VirtioPciDevice.NotifyBar, (uint)moved);

        Assert.Equal(moved, driver.BarAddress(VirtioPciDevice.NotifyBar));
        Assert.All(before, r => Assert.True(r.Removed && r.EventFdOpenAtRemoval));
        Assert.Equal([Expected(driver, 0), Expected(driver, 1)], Live);
        Assert.All(_notifyEvents.Live, r => Assert.InRange(r.Address, moved, moved + _rig.Function.StructureBarSize - 2));
    }

    [Fact]
    public void While_the_bar_is_not_decoded_nothing_is_registered_and_decoding_again_restores_it()
    {
        var driver = _rig.NewDriver();

        _rig.ConfigWrite(PciConfigRegisters.Command, 0, 2);
        Assert.Empty(_notifyEvents.Live);

        _rig.ConfigWrite(PciConfigRegisters.Command, (uint)(PciCommand.MemorySpace | PciCommand.BusMaster), 2);
        Assert.Equal([Expected(driver, 0), Expected(driver, 1)], Live);
        Assert.Equal(4, _notifyEvents.All.Count);
    }

    [Fact]
    public void A_bar_the_host_bridge_does_not_route_gets_no_registrations()
    {
        _routed = _ => false;

        _rig.NewDriver();

        Assert.Empty(_notifyEvents.All);
    }

    [Fact]
    public void An_address_another_function_already_claims_is_left_to_exit_without_an_error()
    {
        ulong bar = _rig.ConfigRead(PciConfigRegisters.Bar0 + 4 * VirtioPciDevice.NotifyBar) & ~0xFul
            | (ulong)_rig.ConfigRead(PciConfigRegisters.Bar0 + 4 * VirtioPciDevice.NotifyBar + 4) << 32;
        ulong queue1 = bar + _rig.Function.NotifyOffsetOf(1);
        _notifyEvents.Claimed.Add(queue1);

        var driver = _rig.NewDriver();

        Assert.Equal(queue1, GuestNotifyAddress(driver, 1));
        Assert.DoesNotContain(_notifyEvents.Live, r => r.Address == queue1);
        Assert.Empty(_failures);
    }

    [Fact]
    public void A_signal_runs_its_queue_on_the_worker()
    {
        var driver = _rig.NewDriver();
        driver.Initialize(useMsix: true);
        _device.ClearEvents();

        _notifiers.GuestNotificationOf(1).Signal();

        Assert.True(SpinWait.SpinUntil(() => _notifiers.GuestNotifications == 1, Patience));
        Assert.Equal(["process 1 begin", "process 1 end"], _device.Events);
        Assert.Empty(_failures);
    }

    [Fact]
    public void A_run_is_counted_once_it_is_over_so_a_reader_of_the_count_sees_its_effects()
    {
        using var release = new ManualResetEventSlim();
        _device.Gate = release;
        var driver = _rig.NewDriver();
        driver.Initialize(useMsix: true);
        _device.ClearEvents();

        _notifiers.GuestNotificationOf(0).Signal();
        Assert.True(_device.Entered.Wait(Patience));
        Assert.Equal(0, _notifiers.GuestNotifications);

        release.Set();
        Assert.True(SpinWait.SpinUntil(() => _notifiers.GuestNotifications == 1, Patience));
        Assert.Equal(["process 0 begin", "process 0 end"], _device.Events);
        Assert.Empty(_failures);
    }

    [Fact]
    public void Shutdown_removes_the_registrations_waits_for_a_busy_worker_then_closes_the_eventfds()
    {
        using var release = new ManualResetEventSlim();
        _device.Gate = release;
        var driver = _rig.NewDriver();
        driver.Initialize(useMsix: true);
        _device.ClearEvents();
        var registrations = _notifyEvents.Live;
        Assert.Equal(2, registrations.Count);
        _notifiers.GuestNotificationOf(0).Signal();
        Assert.True(_device.Entered.Wait(Patience));

        var shutdown = new Thread(_notifiers.Dispose);
        shutdown.Start();
        _disposed = true;

        // First the guest's writes stop reaching the eventfds, which are still open for KVM then ...
        Assert.True(SpinWait.SpinUntil(() => registrations.All(r => r.Removed), Patience));
        Assert.All(registrations, r => Assert.True(r.EventFdOpenAtRemoval));
        // ... then the busy worker is waited for, not abandoned ...
        Assert.False(shutdown.Join(TimeSpan.FromMilliseconds(200)), "shutdown returned while a worker was still running its queue");
        release.Set();
        Assert.True(shutdown.Join(Patience));
        Assert.Equal(["process 0 begin", "process 0 end"], _device.Events);
        // ... and the eventfds close last.
        Assert.Throws<ObjectDisposedException>(() => _notifiers.GuestNotificationOf(0).Signal());
        Assert.Throws<ObjectDisposedException>(() => _notifiers.GuestNotificationOf(1).Signal());
        Assert.Empty(_failures);
    }

    [Fact]
    public void A_bar_change_after_shutdown_registers_nothing()
    {
        _rig.NewDriver();
        _notifiers.Dispose();
        _disposed = true;

        _rig.ConfigWrite(PciConfigRegisters.Command, 0, 2);
        _rig.ConfigWrite(PciConfigRegisters.Command, (uint)PciCommand.MemorySpace, 2);

        Assert.Empty(_notifyEvents.Live);
        Assert.Equal(2, _notifyEvents.All.Count);
    }
}
