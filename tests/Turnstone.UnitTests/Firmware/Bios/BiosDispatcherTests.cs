using Turnstone.Firmware.Bios;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Firmware.Bios;

public sealed class BiosDispatcherTests
{
    private readonly ArrayGuestMemory _memory = new(2ul << 20);
    private readonly StringWriter _log = new();

    private sealed class RecordingService(byte vector, bool wait = false) : IBiosService
    {
        public List<byte> Calls { get; } = [];

        public IReadOnlyList<byte> Vectors { get; } = [vector];

        public void Handle(BiosCall call)
        {
            Calls.Add(call.Vector);
            call.WaitAndRetry = wait;
            call.Succeed();
        }
    }

    private FakeRealModeRegisters AtTrap(byte vector, int after = 2) => new()
    {
        Cs = BiosStubLayout.RomSegment,
        Ip = (ushort)(BiosStubLayout.TrapSlotOffset(vector) + after),
        Ss = 0,
        Esp = 0x7000,
        Eflags = 0x3,
    };

    private BiosDispatcher Dispatcher(params IBiosService[] services) => new(services, _memory, new UnsupportedServiceLog(_log));

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void A_trap_reaches_the_service_of_the_slot_it_came_from(int ipAfterOut)
    {
        var disk = new RecordingService(0x13);
        var registers = AtTrap(0x13, ipAfterOut);

        Assert.True(Dispatcher(disk).TryHandleTrap(registers));

        Assert.Equal([0x13], disk.Calls);
        Assert.Equal(0x2u, registers.Eflags); // live CF clear: the stub IRETs
    }

    [Fact]
    public void A_service_that_waits_sets_the_live_carry_so_the_stub_halts_and_traps_again()
    {
        var keyboard = new RecordingService(0x16, wait: true);
        var registers = AtTrap(0x16);
        registers.Eflags = 0x2;

        Dispatcher(keyboard).TryHandleTrap(registers);

        Assert.Equal(0x3u, registers.Eflags);
    }

    [Fact]
    public void A_standard_vector_without_a_service_answers_invalid_function_once_logged()
    {
        _memory.GetSpan(0x7004, 2).Clear();
        var registers = AtTrap(0x14);
        registers.Eax = 0x0300;
        var dispatcher = Dispatcher();

        Assert.True(dispatcher.TryHandleTrap(registers));
        var again = AtTrap(0x14);
        again.Eax = 0x0300;
        Assert.True(dispatcher.TryHandleTrap(again));

        Assert.Equal(0x01, (byte)(registers.Eax >> 8));
        Assert.Equal(1, _memory.GetSpan(0x7004, 1)[0] & 1); // CF in the stacked FLAGS
        Assert.Single(_log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("INT 14h AH=03h", _log.ToString());
    }

    [Fact]
    public void A_port_write_from_outside_the_trap_slots_is_not_a_call()
    {
        var disk = new RecordingService(0x13);
        var registers = new FakeRealModeRegisters { Cs = 0x0000, Ip = 0x7C10 };

        Assert.False(Dispatcher(disk).TryHandleTrap(registers));
        Assert.False(Dispatcher(disk).TryHandleTrap(new FakeRealModeRegisters { Cs = BiosStubLayout.RomSegment, Ip = BiosStubLayout.HandlersOffset }));
        Assert.Empty(disk.Calls);
    }

    [Fact]
    public void Two_services_for_one_vector_are_refused_and_service_vectors_get_trap_stubs()
    {
        Assert.Throws<ArgumentException>(() => Dispatcher(new RecordingService(0x13), new RecordingService(0x13)));
        var dispatcher = Dispatcher(new RecordingService(0x4F));
        Assert.Contains((byte)0x4F, dispatcher.TrapVectors);
        Assert.Contains((byte)0x10, dispatcher.TrapVectors);
        Assert.DoesNotContain((byte)0x1C, dispatcher.TrapVectors);
        Assert.DoesNotContain((byte)0x08, dispatcher.TrapVectors);
    }
}
