using Turnstone.Devices.Legacy;
using Turnstone.Firmware.Bios;

namespace Turnstone.Machine.Bios;

/// <summary>INT 1Ah's view of the machine's CMOS RTC: the same registers ports 70h/71h show the guest.</summary>
internal sealed class CmosRtcRegisters(CmosRtc rtc) : IRtcRegisters
{
    public byte Read(byte index) => rtc.ReadRegisterAt(index);

    public void Write(byte index, byte value) => rtc.WriteRegisterAt(index, value);
}
