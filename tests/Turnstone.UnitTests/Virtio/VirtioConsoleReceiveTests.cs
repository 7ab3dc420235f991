using System.Text;
using Turnstone.Devices.Virtio;
using Turnstone.Devices.Virtio.Console;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Virtio;

public sealed class VirtioConsoleReceiveTests
{
    [Fact]
    public void Input_fills_receive_buffers_in_order_and_splits_across_them()
    {
        var rig = new ConsoleRig();
        var first = rig.Writable(4);
        var second = rig.Writable(4);
        var third = rig.Writable(4);
        ushort h1 = rig.Receive.AddChain(first);
        ushort h2 = rig.Receive.AddChain(second);
        ushort h3 = rig.Receive.AddChain(third);

        rig.Device.EnqueueInput("ls -la\n"u8);
        var result = rig.RunReceive();

        Assert.Equal(new VirtqueueRunResult(2, true, false, null), result);
        Assert.Equal("ls -", rig.Text(first.Address, 4));
        Assert.Equal("la\n", rig.Text(second.Address, 3));
        Assert.Equal(0xEE, rig.Memory.ReadByte(second.Address + 3));
        Assert.Equal((h1, 4u), rig.Receive.UsedElement(0));
        Assert.Equal((h2, 3u), rig.Receive.UsedElement(1));
        Assert.Equal(0, rig.Device.PendingInputBytes);

        // The third buffer stays posted for the next input.
        rig.Device.EnqueueInput("q"u8);
        Assert.Equal(1, rig.RunReceive().Completed);
        Assert.Equal((h3, 1u), rig.Receive.UsedElement(2));
        Assert.Equal("q", rig.Text(third.Address, 1));
    }

    [Fact]
    public void Multi_descriptor_receive_chain_is_filled_across_its_buffers()
    {
        var rig = new ConsoleRig();
        var low = rig.Writable(3);
        var high = rig.Writable(8);
        ushort head = rig.Receive.AddChain(low, high);

        rig.Device.EnqueueInput("abcdef"u8);
        rig.RunReceive();

        Assert.Equal("abc", rig.Text(low.Address, 3));
        Assert.Equal("def", rig.Text(high.Address, 3));
        Assert.Equal((head, 6u), rig.Receive.UsedElement(0));
    }

    [Fact]
    public void Input_waits_for_receive_buffers_and_is_delivered_when_the_driver_adds_them()
    {
        var rig = new ConsoleRig();
        rig.Device.EnqueueInput("typed early"u8);

        Assert.Equal(new VirtqueueRunResult(0, false, false, null), rig.RunReceive());
        Assert.Equal(11, rig.Device.PendingInputBytes);

        var buffer = rig.Writable(64);
        ushort head = rig.Receive.AddChain(buffer);
        var result = rig.RunReceive();

        Assert.Equal(1, result.Completed);
        Assert.Equal("typed early", rig.Text(buffer.Address, 11));
        Assert.Equal((head, 11u), rig.Receive.UsedElement(0));
    }

    [Fact]
    public void Receive_buffers_are_not_consumed_while_there_is_no_input()
    {
        var rig = new ConsoleRig();
        rig.Receive.AddChain(rig.Writable(16));
        rig.Receive.AddChain(rig.Writable(16));

        var result = rig.RunReceive();

        Assert.Equal(new VirtqueueRunResult(0, false, false, null), result);
        Assert.Equal(0, rig.Receive.UsedIndex);
        Assert.Equal(0, rig.Device.ReceiveQueue.NextAvailableIndex);
    }

    [Fact]
    public void Indirect_receive_chain_gets_input()
    {
        var rig = new ConsoleRig();
        var buffer = rig.Writable(8);
        ushort head = rig.Receive.AddIndirectChain(rig.Allocate(16), buffer);

        rig.Device.EnqueueInput("hi"u8);
        rig.RunReceive();

        Assert.Equal("hi", rig.Text(buffer.Address, 2));
        Assert.Equal((head, 2u), rig.Receive.UsedElement(0));
    }

    [Fact]
    public void Device_readable_buffer_in_receiveq_breaks_the_protocol_and_the_input_is_kept()
    {
        var rig = new ConsoleRig();
        rig.Receive.AddChain(rig.Readable("????"), rig.Writable(8));
        rig.Device.EnqueueInput("keep"u8);

        var result = rig.RunReceive();

        Assert.True(result.NeedsReset);
        Assert.Contains("device-readable", result.Problem);
        Assert.Equal(0, rig.Receive.UsedIndex);
        Assert.Equal(4, rig.Device.PendingInputBytes);
    }

    [Fact]
    public void Malformed_receive_chain_reports_the_descriptor_fault()
    {
        var rig = new ConsoleRig();
        var buffer = rig.Writable(8);
        // A descriptor whose next points past the 16-entry table.
        FakeVirtioDriver.WriteDescriptor(rig.Memory, 0x10000, 0, buffer.Address, 8,
            VirtqueueDescriptorChain.FlagWrite | VirtqueueDescriptorChain.FlagNext, 99);
        rig.Memory.WriteUInt16(0x20000 + 4, 0);
        rig.Memory.WriteUInt16(0x20000 + 2, 1);
        rig.Device.EnqueueInput("x"u8);

        var result = rig.RunReceive();

        Assert.True(result.NeedsReset);
        Assert.Contains(nameof(VirtqueueError.DescriptorOutOfRange), result.Problem);
    }

    [Fact]
    public void Event_index_decides_the_receive_interrupt()
    {
        var rig = new ConsoleRig();
        for (int i = 0; i < 3; i++)
        {
            rig.Receive.AddChain(rig.Writable(1));
        }
        rig.Receive.SetUsedEvent(2); // the driver wants to hear only once the third buffer is used

        rig.Device.EnqueueInput("ab"u8);
        var early = rig.RunReceive();
        rig.Device.EnqueueInput("c"u8);
        var late = rig.RunReceive();

        Assert.Equal((2, false), (early.Completed, early.InterruptNeeded));
        Assert.Equal((1, true), (late.Completed, late.InterruptNeeded));
    }

    [Fact]
    public void Without_event_index_the_no_interrupt_flag_is_respected()
    {
        var rig = new ConsoleRig(driverFeatures: ~VirtioFeatures.EventIndex);
        rig.Memory.WriteUInt16(0x20000, Virtqueue.AvailableFlagNoInterrupt);
        rig.Receive.AddChain(rig.Writable(4));

        rig.Device.EnqueueInput("z"u8);
        var result = rig.RunReceive();

        Assert.Equal((1, false), (result.Completed, result.InterruptNeeded));
    }

    [Fact]
    public void Enqueue_raises_work_for_the_receive_queue_and_refuses_what_does_not_fit()
    {
        var rig = new ConsoleRig(options: new() { QueueSize = ConsoleRig.QueueSize, InputBufferCapacity = 8 });
        var raised = new List<int>();
        rig.Device.QueueWorkAvailable += raised.Add;

        Assert.Equal(5, rig.Device.EnqueueInput("hello"u8));
        Assert.Equal(3, rig.Device.EnqueueInput("world"u8));
        Assert.Equal(0, rig.Device.EnqueueInput("!"u8));
        Assert.Equal([VirtioConsoleProtocol.ReceiveQueueIndex, VirtioConsoleProtocol.ReceiveQueueIndex], raised);

        var buffer = rig.Writable(16);
        rig.Receive.AddChain(buffer);
        rig.RunReceive();
        Assert.Equal("hellowor", rig.Text(buffer.Address, 8));
    }

    [Fact]
    public void Reset_forgets_queues_but_keeps_undelivered_input()
    {
        var rig = new ConsoleRig();
        rig.Device.EnqueueInput("survives"u8);

        rig.Device.Reset();

        Assert.Equal(0ul, rig.Device.AcceptedFeatures);
        Assert.False(rig.Device.ReceiveQueue.IsReady);
        Assert.Equal(8, rig.Device.PendingInputBytes);
        Assert.Equal(new VirtqueueRunResult(0, false, false, null), rig.RunReceive());
    }

    [Fact]
    public async Task Concurrent_producers_lose_and_duplicate_nothing()
    {
        var rig = new ConsoleRig(options: new() { QueueSize = ConsoleRig.QueueSize, InputBufferCapacity = 1 << 16 });
        const int perProducer = 2000;
        var producers = Enumerable.Range(0, 2).Select(p => Task.Run(() =>
        {
            for (int i = 0; i < perProducer; i++)
            {
                rig.Device.EnqueueInput([(byte)('a' + p)]);
            }
        })).ToArray();
        var received = new StringBuilder();
        DriverBuffer? posted = null;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (received.Length < 2 * perProducer && DateTime.UtcNow < deadline)
        {
            if (posted is null)
            {
                posted = rig.Writable(64);
                rig.Receive.AddChain(posted.Value);
            }
            int before = rig.Receive.UsedIndex;
            rig.RunReceive();
            if (rig.Receive.UsedIndex != before)
            {
                received.Append(rig.Text(posted.Value.Address, (int)rig.Receive.UsedElement(before).Length));
                posted = null;
            }
            else
            {
                Thread.Yield();
            }
        }
        await Task.WhenAll(producers);

        Assert.Equal(perProducer, received.ToString().Count(c => c == 'a'));
        Assert.Equal(perProducer, received.ToString().Count(c => c == 'b'));
    }
}
