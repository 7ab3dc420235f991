using Turnstone.Firmware.LinuxBoot;

namespace Turnstone.Firmware.Bios;

/// <summary>
/// INT 15h, the system services boot loaders use: the memory map (E820h, E801h, 88h), the A20 gate
/// (always enabled here), the timed wait (86h), the configuration table (C0h), Linux's CPU-mode hint
/// (EC00h), the EBDA segment (C1h). APM (53h), the PS/2 mouse (C2h), block moves (87h) and the rest are not implemented.
/// </summary>
public sealed class SystemService(E820Map map, TimeProvider time) : IBiosService
{
    /// <summary>AH for a function not supported: INT 15h's own code (SeaBIOS's RET_EUNSUPPORTED), not 01h.</summary>
    private const byte UnsupportedStatus = 0x86;

    private readonly MemoryMapQueries _memoryMap = new(map);
    private readonly UserWait _wait = new(time);

    public IReadOnlyList<byte> Vectors { get; } = [0x15];

    public void Handle(BiosCall call)
    {
        switch (call.Ah)
        {
            case 0x24:
                HandleA20(call);
                break;
            case 0x4F:
                call.Carry = true; // keyboard intercept: "process the scan code as usual", silently as SeaBIOS
                break;
            case 0x86:
                _wait.Wait(call);
                break;
            case 0x90 or 0x91:
                break; // device busy / interrupt complete: OS hooks that a BIOS leaves as no-ops
            case 0xC1:
                call.Registers.Es = BiosMemoryLayout.ExtendedBiosDataAreaSegment;
                call.Succeed();
                break;
            case 0x88:
                _memoryMap.QueryExtendedMemory(call);
                break;
            case 0xC0:
                call.Registers.Es = BiosMemoryLayout.BiosSegment;
                call.Registers.Ebx = (call.Registers.Ebx & 0xFFFF_0000) | BiosMemoryLayout.SystemConfigurationTableOffset;
                call.Ah = 0;
                call.Succeed();
                break;
            case 0xE8 when call.Al == 0x20:
                _memoryMap.QueryE820(call);
                break;
            case 0xE8 when call.Al == 0x01:
                _memoryMap.QueryE801(call);
                break;
            case 0xEC when call.Al == 0x00:
                // Linux's "tell the BIOS which mode the OS will run in" (BL): a hint for firmware that
                // tunes itself; nothing here depends on it. SeaBIOS leaves it unimplemented (CF=1,
                // AH=86h); Linux ignores the answer, so we accept it quietly instead of logging it.
                call.Ah = 0;
                call.Succeed();
                break;
            default:
                call.Unsupported(Name(call), UnsupportedStatus);
                break;
        }
    }

    /// <summary>
    /// INT 15h 24xxh. A20 is always enabled on this machine (the engines have no A20 mask), so
    /// 2401h succeeds, 2402h reports it on, 2403h reports gating through the keyboard controller
    /// and port 92h as SeaBIOS does; 2400h (disable) cannot be honoured and fails with AH=86h
    /// rather than pretend the 1 MiB wrap-around came back.
    /// </summary>
    private static void HandleA20(BiosCall call)
    {
        switch (call.Al)
        {
            case 0x01:
                call.Ah = 0;
                call.Succeed();
                break;
            case 0x02:
                call.Ax = 0x0001;
                call.Succeed();
                break;
            case 0x03:
                call.Ah = 0;
                call.Registers.Ebx = (call.Registers.Ebx & 0xFFFF_0000) | 0x0003;
                call.Succeed();
                break;
            case 0x00:
                call.Fail(UnsupportedStatus);
                break;
            default:
                call.Unsupported(Name(call), UnsupportedStatus);
                break;
        }
    }

    private static string Name(BiosCall call) => call.Ah switch
    {
        0x53 => $"INT 15h AX={call.Ax:X4}h (APM)",
        0xC2 => $"INT 15h AX={call.Ax:X4}h (PS/2 mouse)",
        0x87 => "INT 15h AH=87h (block move)",
        0x89 => "INT 15h AH=89h (switch to protected mode)",
        0xE9 when call.Al == 0x80 => "INT 15h AX=E980h (Intel SpeedStep)",
        _ => $"INT 15h AX={call.Ax:X4}h",
    };
}
