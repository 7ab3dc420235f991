using Turnstone.Devices.Virtio;
using Turnstone.Devices.VirtioPci;
using Turnstone.GuestMemory;
using static Turnstone.Devices.VirtioPci.VirtioPciCommonConfig;

namespace Turnstone.UnitTests.VirtioPci;

/// <summary>Notify from a worker thread racing register accesses from a vCPU thread.</summary>
public sealed class VirtioPciConcurrencyTests
{
    [Fact]
    public void Registers_stay_responsive_while_a_queue_is_processed()
    {
        var memory = new ArrayGuestMemory(VirtioPciRig.MemorySize);
        using var release = new ManualResetEventSlim();
        var device = new ScriptedVirtioDevice(memory) { Gate = release };
        var rig = new VirtioPciRig(device, memory);
        var driver = rig.NewDriver();
        driver.Initialize(useMsix: true);
        device.ClearEvents();

        var worker = StartWorker(() => rig.Function.Notify(0));
        Assert.True(device.Entered.Wait(TimeSpan.FromSeconds(10)));

        // The vCPU reads registers and the ISR while the worker is inside ProcessQueue.
        Assert.Equal(1ul, driver.ReadCommon(NumQueues, 2));
        Assert.Equal(0, driver.ReadIsr());
        release.Set();
        Assert.True(worker.Join(TimeSpan.FromSeconds(10)));
        Assert.Single(rig.Sink.Messages);
    }

    [Fact]
    public void Reset_during_processing_completes_when_the_queue_loop_returns_and_drops_its_interrupt()
    {
        var memory = new ArrayGuestMemory(VirtioPciRig.MemorySize);
        using var release = new ManualResetEventSlim();
        var device = new ScriptedVirtioDevice(memory) { Gate = release };
        var rig = new VirtioPciRig(device, memory);
        var driver = rig.NewDriver();
        driver.Initialize(useMsix: true);
        device.ClearEvents();

        var worker = StartWorker(() => rig.Function.Notify(0));
        Assert.True(device.Entered.Wait(TimeSpan.FromSeconds(10)));

        driver.Status = 0;
        // Not reset yet: the driver keeps polling device_status, as the spec tells it to.
        Assert.NotEqual(0, driver.Status);
        Assert.DoesNotContain("reset", device.Events);
        driver.WriteCommon(QueueSelect, 0, 2);
        Assert.Equal(1ul, driver.ReadCommon(QueueEnable, 2));

        release.Set();
        Assert.True(worker.Join(TimeSpan.FromSeconds(10)));

        Assert.Equal(0, driver.Status);
        Assert.Equal(["process 0 begin", "process 0 end", "reset"], device.Events);
        Assert.Empty(rig.Sink.Messages);
        Assert.False(device.Queues[0].IsReady);
        Assert.Equal(VirtioPciLayout.NoVector, driver.ReadCommon(QueueMsixVector, 2));
    }

    [Fact]
    public void Kicks_that_arrive_during_processing_are_run_by_the_owner_not_lost()
    {
        var memory = new ArrayGuestMemory(VirtioPciRig.MemorySize);
        using var release = new ManualResetEventSlim();
        var device = new ScriptedVirtioDevice(memory, queues: 2) { Gate = release };
        var rig = new VirtioPciRig(device, memory);
        var driver = rig.NewDriver();
        driver.Initialize(useMsix: true);
        device.ClearEvents();

        var worker = StartWorker(() => rig.Function.Notify(0));
        Assert.True(device.Entered.Wait(TimeSpan.FromSeconds(10)));
        // A second kick of each queue from the vCPU returns at once: the worker owns processing.
        driver.Kick(1);
        driver.Kick(0);
        Assert.Equal(["process 0 begin"], device.Events);

        release.Set();
        Assert.True(worker.Join(TimeSpan.FromSeconds(10)));

        Assert.Equal(["process 0 begin", "process 0 end", "process 1 begin", "process 1 end", "process 0 begin", "process 0 end"],
            device.Events);
        // Queue 0 uses vector 1, queue 1 vector 2.
        Assert.Equal([0x41u, 0x42u, 0x41u], rig.Sink.Messages.Select(m => m.Data));
    }

    [Fact]
    public void Device_that_throws_does_not_leave_processing_owned()
    {
        var memory = new ArrayGuestMemory(VirtioPciRig.MemorySize);
        var device = new ThrowingOnceDevice(memory);
        var rig = new VirtioPciRig(device, memory);
        var driver = rig.NewDriver();
        driver.Initialize(useMsix: true);

        Assert.Throws<InvalidOperationException>(() => rig.Function.Notify(0));
        rig.Function.Notify(0);

        Assert.Single(rig.Sink.Messages);
    }

    /// <summary>The machine's ioeventfd worker: a thread of its own, not the test's.</summary>
    private static Thread StartWorker(Action work)
    {
        var thread = new Thread(() => work()) { IsBackground = true, Name = "virtio notify worker" };
        thread.Start();
        return thread;
    }

    private sealed class ThrowingOnceDevice(IGuestMemory memory) : IVirtioDevice
    {
        private readonly ScriptedVirtioDevice _inner = new(memory);
        private bool _thrown;

        public uint DeviceType => _inner.DeviceType;
        public ulong OfferedFeatures => _inner.OfferedFeatures;
        public IReadOnlyList<Virtqueue> Queues => _inner.Queues;
        public int ConfigSize => _inner.ConfigSize;
        public bool AcceptFeatures(ulong driverFeatures) => _inner.AcceptFeatures(driverFeatures);
        public void ReadConfig(ulong offset, Span<byte> data) => _inner.ReadConfig(offset, data);
        public void WriteConfig(ulong offset, ReadOnlySpan<byte> data) => _inner.WriteConfig(offset, data);
        public void Reset() => _inner.Reset();
        public event Action<int>? QueueWorkAvailable { add { } remove { } }
        public event Action? ConfigurationChanged { add { } remove { } }

        public VirtqueueRunResult ProcessQueue(int queueIndex)
        {
            if (!_thrown)
            {
                _thrown = true;
                throw new InvalidOperationException("device bug");
            }
            return _inner.ProcessQueue(queueIndex);
        }
    }
}
