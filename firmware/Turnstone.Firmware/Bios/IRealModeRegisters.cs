namespace Turnstone.Firmware.Bios;

/// <summary>
/// The vCPU's registers as a BIOS service sees them while the guest is in real mode: the general
/// registers (32 bits wide, since loaders use EAX/EBX/ECX/EDX for E820 and EDD), the segment
/// selectors (real-mode base = selector * 16) and the live FLAGS. Each engine implements it over its
/// vCPU for the duration of one firmware call; the unit tests use a plain record.
/// </summary>
public interface IRealModeRegisters
{
    uint Eax { get; set; }
    uint Ebx { get; set; }
    uint Ecx { get; set; }
    uint Edx { get; set; }
    uint Esi { get; set; }
    uint Edi { get; set; }
    uint Ebp { get; set; }
    uint Esp { get; set; }

    ushort Cs { get; }
    ushort Ip { get; }
    ushort Ds { get; set; }
    ushort Es { get; set; }
    ushort Ss { get; }

    /// <summary>The live FLAGS (not the image the INT pushed: <see cref="BiosCall"/> edits that one).</summary>
    uint Eflags { get; set; }
}
