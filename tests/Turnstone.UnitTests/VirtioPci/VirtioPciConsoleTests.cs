using System.Text;
using Turnstone.Devices.Virtio;
using Turnstone.Devices.Virtio.Console;
using Turnstone.Devices.VirtioPci;
using Turnstone.GuestMemory;
using Turnstone.UnitTests.Virtio;
using static Turnstone.UnitTests.VirtioPci.ModernVirtioPciDriver;

namespace Turnstone.UnitTests.VirtioPci;

/// <summary>The console behind the PCI transport, driven only through config space and MMIO, as hvc0 would be.</summary>
public sealed class VirtioPciConsoleTests
{
    private sealed class ConsoleFunction
    {
        public ConsoleFunction(VirtioConsoleOptions? options = null)
        {
            Memory = new ArrayGuestMemory(VirtioPciRig.MemorySize);
            Console = new VirtioConsoleDevice(Memory, Output, options ?? new() { QueueSize = 16 });
            Rig = new VirtioPciRig(Console, Memory);
            Driver = Rig.NewDriver();
        }

        public IGuestMemory Memory { get; }
        public MemoryStream Output { get; } = new();
        public VirtioConsoleDevice Console { get; }
        public VirtioPciRig Rig { get; }
        public ModernVirtioPciDriver Driver { get; }
        public DriverRing Receive => Driver.Rings[VirtioConsoleProtocol.ReceiveQueueIndex];
        public DriverRing Transmit => Driver.Rings[VirtioConsoleProtocol.TransmitQueueIndex];
        public string OutputText => Encoding.ASCII.GetString(Output.ToArray());
        public IEnumerable<uint> MsiData => Rig.Sink.Messages.Select(m => m.Data);
    }

    [Fact]
    public void Function_offers_two_queues_and_the_twelve_byte_configuration()
    {
        var console = new ConsoleFunction();

        Assert.Equal(0x1043u, console.Rig.ConfigRead(Turnstone.Devices.Pci.PciConfigRegisters.DeviceId, 2));
        Assert.Equal(2ul, console.Driver.ReadCommon(VirtioPciCommonConfig.NumQueues, 2));
        Assert.Equal((uint)VirtioConsoleProtocol.ConfigSize, console.Driver.Find(VirtioPciLayout.DeviceConfigType).Length);
        Assert.Equal(console.Console.OfferedFeatures, console.Driver.DeviceFeatures());
    }

    [Fact]
    public void Guest_output_kicked_on_transmitq_reaches_the_host_and_signals_its_vector()
    {
        var console = new ConsoleFunction();
        console.Driver.Initialize(useMsix: true);

        ulong text = console.Driver.AllocateBufferWith("login: "u8);
        ushort head = console.Transmit.AddChain(DriverBuffer.Readable(text, 7));
        console.Driver.Kick(VirtioConsoleProtocol.TransmitQueueIndex);

        Assert.Equal("login: ", console.OutputText);
        Assert.Equal((head, 0u), console.Transmit.UsedElement(0));
        Assert.Equal([MsiDataBase + 2], console.MsiData);
    }

    [Fact]
    public void Host_input_is_delivered_through_the_transport_when_it_arrives()
    {
        var console = new ConsoleFunction();
        console.Driver.Initialize(useMsix: true);
        ulong buffer = console.Driver.AllocateBuffer(64);
        ushort head = console.Receive.AddChain(DriverBuffer.Writable(buffer, 64));
        console.Driver.Kick(VirtioConsoleProtocol.ReceiveQueueIndex);
        Assert.Equal(0, console.Receive.UsedIndex);

        console.Console.EnqueueInput("root\n"u8);

        Assert.Equal((head, 5u), console.Receive.UsedElement(0));
        Assert.Equal("root\n", Encoding.ASCII.GetString(console.Memory.GetSpan(buffer, 5)));
        Assert.Equal([MsiDataBase + 1], console.MsiData);
    }

    [Fact]
    public void Input_typed_before_the_driver_is_up_arrives_with_the_first_receive_buffers()
    {
        var console = new ConsoleFunction();
        console.Console.EnqueueInput("early"u8);
        console.Driver.Initialize(useMsix: false);

        ulong buffer = console.Driver.AllocateBuffer(16);
        console.Receive.AddChain(DriverBuffer.Writable(buffer, 16));
        console.Driver.Kick(VirtioConsoleProtocol.ReceiveQueueIndex);

        Assert.Equal("early", Encoding.ASCII.GetString(console.Memory.GetSpan(buffer, 5)));
        Assert.Equal(1, console.Driver.ReadIsr() & 1);
    }

    [Fact]
    public void Readable_buffer_on_receiveq_puts_the_function_in_needs_reset_and_a_reset_recovers()
    {
        var console = new ConsoleFunction();
        console.Driver.Initialize(useMsix: true);
        console.Receive.AddChain(DriverBuffer.Readable(console.Driver.AllocateBufferWith("bad"u8), 3));

        console.Console.EnqueueInput("kept"u8);

        Assert.NotEqual(0, console.Driver.Status & (byte)VirtioDeviceStatus.DeviceNeedsReset);
        Assert.Contains("device-readable", console.Rig.Function.LastProblem);
        Assert.Equal([MsiDataBase + 0], console.MsiData); // the configuration vector

        console.Driver.Initialize(useMsix: true);
        ulong buffer = console.Driver.AllocateBuffer(8);
        console.Driver.Rings[^2].AddChain(DriverBuffer.Writable(buffer, 8));
        console.Driver.Kick(VirtioConsoleProtocol.ReceiveQueueIndex);
        Assert.Equal("kept", Encoding.ASCII.GetString(console.Memory.GetSpan(buffer, 4)));
    }

    [Fact]
    public void Resize_sends_a_configuration_change_with_a_new_generation()
    {
        var console = new ConsoleFunction(new() { QueueSize = 16, InitialSize = new(80, 25) });
        console.Driver.Initialize(useMsix: true, wanted: ulong.MaxValue);
        var deviceConfig = console.Driver.Find(VirtioPciLayout.DeviceConfigType);
        ulong generation = console.Driver.ReadCommon(VirtioPciCommonConfig.ConfigGeneration, 1);

        console.Console.Resize(new(120, 40));

        Assert.Equal(120ul | 40ul << 16, console.Driver.Read(deviceConfig, 0, 4));
        Assert.NotEqual(generation, console.Driver.ReadCommon(VirtioPciCommonConfig.ConfigGeneration, 1));
        Assert.Equal([MsiDataBase + 0], console.MsiData);
    }

    [Fact]
    public void Emergency_write_through_the_device_configuration_prints_before_negotiation()
    {
        var console = new ConsoleFunction();
        var deviceConfig = console.Driver.Find(VirtioPciLayout.DeviceConfigType);

        console.Driver.Write(deviceConfig, VirtioConsoleProtocol.EmergencyWriteOffset, 'E', 4);

        Assert.Equal("E", console.OutputText);
    }
}
