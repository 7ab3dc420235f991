using Turnstone.Firmware.Bios;

namespace Turnstone.UnitTests.Firmware.Bios;

/// <summary>A register file for BIOS service tests: plain properties, settable segments.</summary>
internal sealed class FakeRealModeRegisters : IRealModeRegisters
{
    public uint Eax { get; set; }
    public uint Ebx { get; set; }
    public uint Ecx { get; set; }
    public uint Edx { get; set; }
    public uint Esi { get; set; }
    public uint Edi { get; set; }
    public uint Ebp { get; set; }
    public uint Esp { get; set; }
    public ushort Cs { get; set; }
    public ushort Ip { get; set; }
    public ushort Ds { get; set; }
    public ushort Es { get; set; }
    public ushort Ss { get; set; }
    public uint Eflags { get; set; } = 0x2;
}
