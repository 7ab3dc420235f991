using Turnstone.Firmware.Bios;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Firmware.Bios;

/// <summary>
/// What a BIOS service test needs: 2 MiB of guest RAM with the BDA filled as at POST (one serial
/// port, one disk), a register file whose SS:SP points at an INT frame with FLAGS = 0002h, and
/// calls built on them. <see cref="Flags"/> reads the stacked FLAGS the stub's IRET restores.
/// </summary>
internal sealed class BiosServiceBench
{
    public const ulong FlagsAddress = 0x7BF4;

    public BiosServiceBench(ulong memoryBytes = 2ul << 20)
    {
        Memory = new ArrayGuestMemory(memoryBytes);
        BiosDataArea.Write(Memory, serialPortCount: 1, hardDiskCount: 1);
        Memory.WriteUInt16(FlagsAddress, 0x0002);
    }

    public ArrayGuestMemory Memory { get; }

    public FakeRealModeRegisters Registers { get; } = new() { Ss = 0x0000, Esp = 0x7BF0 };

    public UnsupportedServiceLog Unsupported { get; } = new(null);

    public ushort Flags => Memory.ReadUInt16(FlagsAddress);

    public bool Carry => (Flags & 0x0001) != 0;

    public bool Zero => (Flags & 0x0040) != 0;

    public ushort Ax => (ushort)Registers.Eax;

    /// <summary>Runs one INT <paramref name="vector"/> with AX = <paramref name="ax"/> and returns the call.</summary>
    public BiosCall Invoke(IBiosService service, ushort ax)
    {
        byte vector = service.Vectors[0];
        Registers.Eax = (Registers.Eax & 0xFFFF_0000) | ax;
        var call = new BiosCall(vector, Registers, Memory, Unsupported);
        service.Handle(call);
        return call;
    }
}
