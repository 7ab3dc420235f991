using Turnstone.Devices.Bus;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor;
using Turnstone.Hypervisor.Kvm;
using Turnstone.Machine;

namespace Turnstone.UnitTests.Machine;

/// <summary>
/// <see cref="VcpuLoop"/> on a scripted vCPU: how each exit reaches the devices or stops the
/// machine, and that a failure while handling one becomes a stopped VM with a report, never an
/// exception out of the loop.
/// </summary>
public sealed class VcpuLoopTests
{
    private const ushort Port = 0x3F8;
    private const ulong MmioBase = 0xFEB0_0000;

    private readonly DeviceBus _ports = new(), _mmio = new();
    private readonly MachineControl _control = new();
    private readonly RecordingDevice _portDevice = new(), _mmioDevice = new();

    public VcpuLoopTests()
    {
        _ports.Register(Port, 8, _portDevice);
        _mmio.Register(MmioBase, 0x1000, _mmioDevice);
    }

    private static (VcpuExit, byte[]) PortWrite(ushort port, byte size, params byte[] data) =>
        (new VcpuExit(VcpuExitReason.Io, IoIsWrite: true, IoPort: port, IoSize: size, IoCount: (uint)(data.Length / size)), data);

    private static (VcpuExit, byte[]) PortRead(ushort port, byte size, uint count) =>
        (new VcpuExit(VcpuExitReason.Io, IoIsWrite: false, IoPort: port, IoSize: size, IoCount: count), new byte[size * count]);

    private static (VcpuExit, byte[]) Exit(VcpuExitReason reason) => (new VcpuExit(reason), []);

    private static readonly (VcpuExit, byte[]) PowerOff =
        (new VcpuExit(VcpuExitReason.SystemEvent, SystemEvent: SystemEventKind.Shutdown), []);

    private VcpuLoop Loop(ScriptedVcpu vcpu) => new(vcpu, _ports, _mmio, _control);

    /// <summary>Runs the script to its end (every script here ends the machine) and returns how it stopped.</summary>
    private MachineExit RunToStop(ScriptedVcpu vcpu, out VcpuLoop loop)
    {
        loop = Loop(vcpu);
        loop.Run();
        return Assert.IsType<MachineExit>(_control.Exit);
    }

    [Fact]
    public void A_string_port_write_reaches_the_device_once_per_element_in_order()
    {
        // rep outsw of three words: one exit, count 3.
        var vcpu = new ScriptedVcpu(PortWrite(Port + 1, 2, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32), PowerOff);

        RunToStop(vcpu, out _);

        Assert.Equal([(1ul, "11-12"), (1ul, "21-22"), (1ul, "31-32")], _portDevice.Writes);
    }

    [Fact]
    public void A_string_port_read_fills_each_element_from_its_own_device_read()
    {
        // rep insb of four bytes: the device answers 1, 2, 3, 4 to successive reads.
        var vcpu = new ScriptedVcpu(PortRead(Port, 1, 4));

        Assert.Null(Loop(vcpu).Dispatch(vcpu.Run()));

        Assert.Equal(new byte[] { 1, 2, 3, 4 }, vcpu.LastData);
        Assert.Equal(4, _portDevice.Reads);
    }

    [Fact]
    public void A_string_port_read_of_words_gives_each_element_its_own_two_bytes()
    {
        var vcpu = new ScriptedVcpu(PortRead(Port + 2, 2, 3));

        Assert.Null(Loop(vcpu).Dispatch(vcpu.Run()));

        Assert.Equal(new byte[] { 1, 1, 2, 2, 3, 3 }, vcpu.LastData);
        Assert.Equal([2ul, 2ul, 2ul], _portDevice.ReadOffsets);
    }

    [Fact]
    public void A_port_access_no_device_claims_reads_all_ones_and_the_guest_continues()
    {
        var vcpu = new ScriptedVcpu(PortRead(0x1234, 2, 1));

        Assert.Null(Loop(vcpu).Dispatch(vcpu.Run()));

        Assert.Equal(new byte[] { 0xFF, 0xFF }, vcpu.LastData);
        Assert.Equal(1, _ports.UnclaimedReads);
    }

    [Fact]
    public void An_mmio_read_puts_the_device_answer_in_the_exit_data()
    {
        var read = new VcpuExit(VcpuExitReason.Mmio, MmioAddress: MmioBase + 0x10, MmioLength: 4);
        var vcpu = new ScriptedVcpu((read, new byte[4]));

        Assert.Null(Loop(vcpu).Dispatch(vcpu.Run()));

        Assert.Equal(new byte[] { 1, 1, 1, 1 }, vcpu.LastData);
        Assert.Equal([0x10ul], _mmioDevice.ReadOffsets);
        Assert.Empty(_mmioDevice.Writes);
    }

    [Fact]
    public void An_mmio_write_hands_the_device_the_bytes_written()
    {
        var write = new VcpuExit(VcpuExitReason.Mmio, MmioAddress: MmioBase + 0x20, MmioLength: 2, MmioIsWrite: true);
        var vcpu = new ScriptedVcpu((write, new byte[] { 0xCD, 0xAB }));

        Assert.Null(Loop(vcpu).Dispatch(vcpu.Run()));

        Assert.Equal([(0x20ul, "CD-AB")], _mmioDevice.Writes);
        Assert.Equal(0, _mmioDevice.Reads);
    }

    public static TheoryData<Exception> DeviceFailures => new(
        new InvalidOperationException("the device is confused"),
        new ArgumentException("the device is confused"),
        new GuestMemoryAccessException(0xDEAD_0000, 16),
        new KvmException("the device is confused"));

    [Theory]
    [MemberData(nameof(DeviceFailures))]
    public void A_failure_while_handling_an_exit_stops_the_machine_with_a_report_of_that_exit(Exception failure)
    {
        _portDevice.Failure = failure;
        var vcpu = new ScriptedVcpu(PortWrite(Port, 1, 0x42), PowerOff);

        var exit = RunToStop(vcpu, out var loop);

        Assert.Equal(MachineExitKind.Error, exit.Kind);
        Assert.Equal($"monitor error while handling the exit: {failure.Message}", exit.Reason);
        Assert.Equal($"state report: {exit.Reason}; exit: out port 0x3f8 size 1 count 1", exit.Report);
        Assert.Equal(1, loop.Exits.Total); // stopped there: the power-off after it never ran
    }

    [Fact]
    public void A_failure_entering_the_guest_stops_the_machine_too()
    {
        var vcpu = new ScriptedVcpu(); // Run throws: nothing scripted

        var exit = RunToStop(vcpu, out var loop);

        Assert.Equal(MachineExitKind.Error, exit.Kind);
        Assert.Equal("monitor error while handling the exit: the script has no more exits", exit.Reason);
        Assert.Equal(0, loop.Exits.Total);
    }

    public static TheoryData<VcpuExit, MachineExitKind, string, bool> StoppingExits => new()
    {
        { new VcpuExit(VcpuExitReason.SystemEvent, SystemEvent: SystemEventKind.Shutdown), MachineExitKind.PowerOff, "guest powered off (system event)", false },
        { new VcpuExit(VcpuExitReason.SystemEvent, SystemEvent: SystemEventKind.Reset), MachineExitKind.Reset, "guest reset (system event)", false },
        { new VcpuExit(VcpuExitReason.Shutdown), MachineExitKind.TripleFault, "guest triple fault (shutdown)", true },
        { new VcpuExit(VcpuExitReason.Hlt), MachineExitKind.Error, "guest halted with interrupts that can never arrive", true },
        { new VcpuExit(VcpuExitReason.SystemEvent, SystemEvent: SystemEventKind.Crash), MachineExitKind.Error, "unexpected exit: system event Crash", true },
        { new VcpuExit(VcpuExitReason.FailEntry, HardwareEntryFailure: 0x21), MachineExitKind.Error, "unexpected exit: VM entry failed, hardware reason 0x21", true },
        { new VcpuExit(VcpuExitReason.Debug, DebugPc: 0x1000, DebugException: 1), MachineExitKind.Error, "unexpected exit: debug exception 1 at 0x1000", true },
        { new VcpuExit(VcpuExitReason.InternalError, InternalError: InternalErrorKind.Emulation), MachineExitKind.Error, "unexpected exit: internal error Emulation", true },
    };

    [Theory]
    [MemberData(nameof(StoppingExits))]
    public void Exits_that_end_the_machine_say_how(VcpuExit exit, MachineExitKind kind, string reason, bool reported)
    {
        var vcpu = new ScriptedVcpu((exit, []));

        var stop = Loop(vcpu).Dispatch(vcpu.Run());

        Assert.Equal(new MachineExit(kind, reason, reported ? $"state report: {(kind == MachineExitKind.TripleFault ? "triple fault" : reason)}; exit: {exit}" : null), stop);
    }

    [Theory]
    [InlineData(VcpuExitReason.Interrupted)]
    [InlineData(VcpuExitReason.IrqWindowOpen)]
    public void A_kick_or_an_interrupt_window_just_enters_the_guest_again(VcpuExitReason reason)
    {
        var vcpu = new ScriptedVcpu(Exit(reason));

        Assert.Null(Loop(vcpu).Dispatch(vcpu.Run()));
    }

    [Fact]
    public void Exits_the_engine_handles_never_reach_the_devices()
    {
        var vcpu = new ScriptedVcpu(PortWrite(Port, 1, 0x42), Exit(VcpuExitReason.InternalError), PowerOff);
        vcpu.EngineExits[VcpuExitReason.Io] = null; // as if the engine completed the port write itself
        vcpu.EngineExits[VcpuExitReason.InternalError] = null;

        var exit = RunToStop(vcpu, out var loop);

        Assert.Equal(MachineExitKind.PowerOff, exit.Kind);
        Assert.Empty(_portDevice.Writes);
        Assert.Equal([VcpuExitReason.Io, VcpuExitReason.InternalError, VcpuExitReason.SystemEvent], vcpu.OfferedToEngine.Select(e => e.Reason));
        Assert.Equal(3, loop.Exits.Total);
        Assert.Equal(1, loop.Exits[VcpuExitReason.InternalError]);
    }

    [Fact]
    public void An_exit_the_engine_cannot_handle_stops_the_machine_with_its_reason()
    {
        var vcpu = new ScriptedVcpu(Exit(VcpuExitReason.InternalError), PowerOff);
        vcpu.EngineExits[VcpuExitReason.InternalError] = "emulation failure on an instruction we do not emulate: xgetbv";

        var exit = RunToStop(vcpu, out _);

        Assert.Equal(MachineExitKind.Error, exit.Kind);
        Assert.Equal("emulation failure on an instruction we do not emulate: xgetbv", exit.Reason);
        Assert.StartsWith("state report: emulation failure", exit.Report);
    }

    [Fact]
    public void The_loop_counts_every_exit_and_ends_at_the_first_stop()
    {
        var vcpu = new ScriptedVcpu(PortWrite(Port, 1, 1), Exit(VcpuExitReason.Interrupted), PortWrite(Port, 1, 2), PowerOff,
            PortWrite(Port, 1, 3));

        var exit = RunToStop(vcpu, out var loop);

        Assert.Equal(MachineExitKind.PowerOff, exit.Kind);
        Assert.Equal(4, loop.Exits.Total);
        Assert.Equal(2, loop.Exits[VcpuExitReason.Io]);
        Assert.Equal([(0ul, "01"), (0ul, "02")], _portDevice.Writes);
    }

    [Fact]
    public void A_machine_already_stopped_never_enters_the_guest()
    {
        _control.Stop(new MachineExit(MachineExitKind.Interrupted, "stopped by the user"));
        var vcpu = new ScriptedVcpu(PortWrite(Port, 1, 1));

        Loop(vcpu).Run();

        Assert.Empty(_portDevice.Writes);
        Assert.Equal(MachineExitKind.Interrupted, _control.Exit!.Kind);
    }

    /// <summary>Records what reaches it; each read answers with the number of reads so far in every byte.</summary>
    private sealed class RecordingDevice : IBusDevice
    {
        public List<(ulong Offset, string Bytes)> Writes { get; } = [];
        public List<ulong> ReadOffsets { get; } = [];
        public int Reads => ReadOffsets.Count;
        public Exception? Failure { get; set; }

        public void Read(ulong offset, Span<byte> data)
        {
            ReadOffsets.Add(offset);
            data.Fill((byte)Reads);
        }

        public void Write(ulong offset, ReadOnlySpan<byte> data)
        {
            if (Failure is not null)
            {
                throw Failure;
            }
            Writes.Add((offset, BitConverter.ToString(data.ToArray())));
        }
    }
}
