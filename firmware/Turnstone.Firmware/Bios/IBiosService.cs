namespace Turnstone.Firmware.Bios;

/// <summary>
/// One BIOS interrupt service (INT 10h, INT 13h, ...), implemented in C#. The guest's IVT points at
/// a real-mode stub that traps to the monitor; the monitor builds a <see cref="BiosCall"/> and hands
/// it to the service of that vector. The service reads its inputs from the registers and guest
/// memory (checking every pointer, count and LBA first), writes results back, and sets CF/ZF in
/// the FLAGS image the stub's IRET restores.
/// </summary>
public interface IBiosService
{
    /// <summary>The interrupt vectors this service answers (most answer one).</summary>
    IReadOnlyList<byte> Vectors { get; }

    void Handle(BiosCall call);
}
