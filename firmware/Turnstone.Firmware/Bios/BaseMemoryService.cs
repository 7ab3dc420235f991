using Turnstone.GuestMemory;

namespace Turnstone.Firmware.Bios;

/// <summary>INT 12h: conventional memory in KiB, from BDA 0x413 (640 less the EBDA).</summary>
public sealed class BaseMemoryService : IBiosService
{
    public IReadOnlyList<byte> Vectors { get; } = [0x12];

    public void Handle(BiosCall call) => call.Ax = call.Memory.ReadUInt16(BiosDataArea.BaseMemoryKiB);
}
