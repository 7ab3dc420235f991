using System.Buffers.Binary;
using System.Text;
using Turnstone.Firmware.Bios;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Firmware.Bios;

public sealed class BootstrapServiceTests
{
    private const ushort StackPointer = 0x7BFA;

    private readonly ArrayGuestMemory _memory = new(2ul << 20);
    private readonly FakeRealModeRegisters _registers = new() { Ss = 0, Esp = StackPointer, Edx = 0x1234 };
    private readonly RecordingConsole _console = new();
    private readonly List<string> _failures = [];

    private sealed class RecordingConsole : IBiosConsole
    {
        public StringBuilder Text { get; } = new();

        public void Write(ReadOnlySpan<byte> text) => Text.Append(Encoding.ASCII.GetString(text));

        public bool TryReadByte(out byte value)
        {
            value = 0;
            return false;
        }

        public bool HasInput => false;
    }

    private void Call(byte vector, params IBiosDisk[] disks)
    {
        // The frame INT 19h's caller left: IP, CS, FLAGS.
        BinaryPrimitives.WriteUInt16LittleEndian(_memory.GetSpan(StackPointer, 2), 0x1234);
        BinaryPrimitives.WriteUInt16LittleEndian(_memory.GetSpan(StackPointer + 2u, 2), 0xF000);
        BinaryPrimitives.WriteUInt16LittleEndian(_memory.GetSpan(StackPointer + 4u, 2), 0x0046);
        new BootstrapService(disks, _console, _failures.Add).Handle(new BiosCall(vector, _registers, _memory, new UnsupportedServiceLog(null)));
    }

    private static FakeBiosDisk BootableDisk()
    {
        var disk = new FakeBiosDisk(4);
        disk.Sector(0)[510] = 0x55;
        disk.Sector(0)[511] = 0xAA;
        return disk;
    }

    [Fact]
    public void Int_19h_loads_the_mbr_at_7c00_and_returns_into_it_with_dl_80h_and_interrupts_on()
    {
        var disk = BootableDisk();
        Call(0x19, disk);

        Assert.Empty(_failures);
        Assert.Equal(disk.Sector(0).ToArray(), _memory.GetSpan(0x7C00, 512).ToArray());
        Assert.Equal(0x7C00, BinaryPrimitives.ReadUInt16LittleEndian(_memory.GetSpan(StackPointer, 2)));
        Assert.Equal(0x0000, BinaryPrimitives.ReadUInt16LittleEndian(_memory.GetSpan(StackPointer + 2u, 2)));
        Assert.Equal(0x0202, BinaryPrimitives.ReadUInt16LittleEndian(_memory.GetSpan(StackPointer + 4u, 2)));
        Assert.Equal(0x1280u, _registers.Edx);
    }

    [Fact]
    public void Int_19h_without_a_boot_signature_prints_no_bootable_disk_and_stops_the_machine()
    {
        Call(0x19, new FakeBiosDisk(4));

        Assert.Single(_failures);
        Assert.StartsWith(BootstrapService.NoBootableDisk, _failures[0]);
        Assert.Contains("no bootable disk", _console.Text.ToString());
        Assert.Equal(0x1234, BinaryPrimitives.ReadUInt16LittleEndian(_memory.GetSpan(StackPointer, 2))); // frame untouched
    }

    [Fact]
    public void Int_19h_with_no_disk_or_a_failing_one_fails_the_same_way()
    {
        Call(0x19);
        var failing = BootableDisk();
        failing.Failing = true;
        Call(0x19, failing);

        Assert.Equal(2, _failures.Count);
        Assert.All(_failures, f => Assert.StartsWith(BootstrapService.NoBootableDisk, f));
        Assert.Contains("injected read failure", _failures[1]);
    }

    [Fact]
    public void Int_18h_is_a_boot_failure()
    {
        Call(0x18, BootableDisk());

        Assert.Single(_failures);
        Assert.Contains("INT 18h", _failures[0]);
        Assert.Contains("no bootable disk", _console.Text.ToString());
    }
}
