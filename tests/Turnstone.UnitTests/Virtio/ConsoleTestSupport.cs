using Turnstone.Devices.Virtio;
using Turnstone.Devices.Virtio.Console;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Virtio;

/// <summary>
/// The driver side of one of the console's queues: its own rings in fake guest memory, chains (direct or
/// through an indirect table) published the way Linux's virtio_ring does, and the used ring read back.
/// </summary>
public sealed class ConsoleQueueDriver(IGuestMemory memory, ushort size, ulong descriptors, ulong available, ulong used)
{
    private ushort _nextDescriptor;

    public ushort Size => size;
    public ushort AvailableIndex { get; private set; }
    public ushort UsedIndex => memory.ReadUInt16(used + 2);

    public (uint Id, uint Length) UsedElement(int index) =>
        (memory.ReadUInt32(used + 4 + 8UL * (ulong)(index % size)), memory.ReadUInt32(used + 8 + 8UL * (ulong)(index % size)));

    public void SetUsedEvent(ushort value) => memory.WriteUInt16(available + 4 + 2UL * size, value);

    /// <summary>Points the device's queue at these rings and enables it, as setup_vq does.</summary>
    public void Attach(Virtqueue queue)
    {
        queue.Size = size;
        queue.DescriptorTableAddress = descriptors;
        queue.AvailableRingAddress = available;
        queue.UsedRingAddress = used;
        Assert.True(queue.TryEnable(out var error), $"queue did not enable: {error}");
    }

    public ushort AddChain(params DriverBuffer[] buffers)
    {
        ushort head = _nextDescriptor;
        WriteChain(descriptors, head, size, buffers);
        _nextDescriptor = (ushort)((head + buffers.Length) % size);
        Publish(head);
        return head;
    }

    /// <summary>One main descriptor pointing at an indirect table (at <paramref name="table"/>) that holds the buffers.</summary>
    public ushort AddIndirectChain(ulong table, params DriverBuffer[] buffers)
    {
        WriteChain(table, 0, ushort.MaxValue, buffers);
        ushort head = _nextDescriptor;
        FakeVirtioDriver.WriteDescriptor(memory, descriptors, head, table, (uint)(16 * buffers.Length), VirtqueueDescriptorChain.FlagIndirect, 0);
        _nextDescriptor = (ushort)((head + 1) % size);
        Publish(head);
        return head;
    }

    private void WriteChain(ulong table, ushort first, ushort entries, DriverBuffer[] buffers)
    {
        for (int i = 0; i < buffers.Length; i++)
        {
            bool last = i == buffers.Length - 1;
            ushort flags = (ushort)((buffers[i].IsWritable ? VirtqueueDescriptorChain.FlagWrite : 0) | (last ? 0 : VirtqueueDescriptorChain.FlagNext));
            FakeVirtioDriver.WriteDescriptor(memory, table, (first + i) % entries, buffers[i].Address, buffers[i].Length, flags,
                last ? (ushort)0 : (ushort)((first + i + 1) % entries));
        }
    }

    private void Publish(ushort head)
    {
        memory.WriteUInt16(available + 4 + 2UL * (ushort)(AvailableIndex % size), head);
        AvailableIndex++;
        memory.WriteUInt16(available + 2, AvailableIndex);
    }
}

/// <summary>
/// A virtio-console device with a driver that negotiated <paramref name="driverFeatures"/> and set up both
/// queues (16 entries each), guest output collected in <see cref="Output"/>.
/// </summary>
public sealed class ConsoleRig
{
    public const ushort QueueSize = 16;
    private ulong _nextBuffer = 0x100000;

    public ConsoleRig(ulong driverFeatures = ulong.MaxValue, VirtioConsoleOptions? options = null, Stream? output = null)
    {
        Memory = new ArrayGuestMemory(4 << 20);
        Output = output ?? new MemoryStream();
        Device = new VirtioConsoleDevice(Memory, Output, options ?? new VirtioConsoleOptions { QueueSize = QueueSize });
        Assert.True(Device.AcceptFeatures(driverFeatures & Device.OfferedFeatures));
        Receive = new ConsoleQueueDriver(Memory, QueueSize, 0x10000, 0x20000, 0x30000);
        Transmit = new ConsoleQueueDriver(Memory, QueueSize, 0x40000, 0x50000, 0x60000);
        Receive.Attach(Device.ReceiveQueue);
        Transmit.Attach(Device.TransmitQueue);
    }

    public IGuestMemory Memory { get; }
    public Stream Output { get; }
    public VirtioConsoleDevice Device { get; }
    public ConsoleQueueDriver Receive { get; }
    public ConsoleQueueDriver Transmit { get; }

    public byte[] OutputBytes => ((MemoryStream)Output).ToArray();

    public ulong Allocate(int length)
    {
        ulong address = _nextBuffer;
        _nextBuffer += (ulong)((length + 15) & ~15);
        return address;
    }

    public DriverBuffer Readable(string text)
    {
        byte[] bytes = System.Text.Encoding.ASCII.GetBytes(text);
        ulong address = Allocate(bytes.Length);
        Memory.Write(address, bytes);
        return DriverBuffer.Readable(address, (uint)bytes.Length);
    }

    /// <summary>A receive buffer filled with 0xEE, so a test sees exactly which bytes the device wrote.</summary>
    public DriverBuffer Writable(int length)
    {
        ulong address = Allocate(length);
        Memory.GetSpan(address, length).Fill(0xEE);
        return DriverBuffer.Writable(address, (uint)length);
    }

    public string Text(ulong address, int length) => System.Text.Encoding.ASCII.GetString(Memory.GetSpan(address, length));

    public VirtqueueRunResult RunTransmit() => Device.ProcessQueue(VirtioConsoleProtocol.TransmitQueueIndex);

    public VirtqueueRunResult RunReceive() => Device.ProcessQueue(VirtioConsoleProtocol.ReceiveQueueIndex);
}
