using Turnstone.GuestMemory;

namespace Turnstone.Firmware.Bios;

/// <summary>INT 11h: the equipment word, from BDA 0x410 (so a guest that edits the BDA sees its edit).</summary>
public sealed class EquipmentService : IBiosService
{
    public IReadOnlyList<byte> Vectors { get; } = [0x11];

    public void Handle(BiosCall call) => call.Ax = call.Memory.ReadUInt16(BiosDataArea.EquipmentWord);
}
