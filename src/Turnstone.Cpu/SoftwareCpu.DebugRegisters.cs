using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// MOV to and from DR0-DR7. The registers are kept so a kernel that saves, clears and restores them
// (Linux at every CPU bring-up) works; breakpoints themselves are not implemented, so enabling one
// in DR7 stops with NotImplemented rather than silently never firing.
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>MOV CR/DR share the decoded form: Aux at or above this is a debug register.</summary>
    internal const byte DebugRegisterAux = 32;

    private const ulong Dr6Fixed = 0xFFFF_0FF0, Dr7Fixed = 0x400, Dr7BreakpointEnables = 0xFF;
    private readonly ulong[] _debugAddresses = new ulong[4];
    private ulong _dr6 = Dr6Fixed, _dr7 = Dr7Fixed;

    /// <summary>DR4/DR5 alias DR6/DR7 unless CR4.DE makes them undefined (#UD); -1 then.</summary>
    private int DebugRegisterIndex(int index) =>
        index is 4 or 5 ? ((_cr4 & Cr4Bits.DebuggingExtensions) != 0 ? -1 : index + 2) : index;

    private bool MoveToDebugRegister(ref DecodedInstruction i, ulong value)
    {
        int index = DebugRegisterIndex(i.Aux - DebugRegisterAux);
        switch (index)
        {
            case >= 0 and <= 3:
                _debugAddresses[index] = value;
                break;
            case 6:
                if ((value >> 32) != 0)
                {
                    return GeneralProtection();
                }
                _dr6 = value | Dr6Fixed;
                break;
            case 7:
                if ((value >> 32) != 0)
                {
                    return GeneralProtection();
                }
                if ((value & Dr7BreakpointEnables) != 0)
                {
                    return NotImplemented($"hardware breakpoints (MOV DR7 with enables 0x{value & Dr7BreakpointEnables:x2})");
                }
                _dr7 = value | Dr7Fixed;
                break;
            default:
                return InvalidOpcode();
        }
        _rip = NextRip(ref i);
        return false;
    }

    private bool MoveFromDebugRegister(ref DecodedInstruction i)
    {
        ulong value;
        switch (DebugRegisterIndex(i.Aux - DebugRegisterAux))
        {
            case var index and >= 0 and <= 3: value = _debugAddresses[index]; break;
            case 6: value = _dr6; break;
            case 7: value = _dr7; break;
            default: return InvalidOpcode();
        }
        R(i.Reg) = _executing64BitCode ? value : (uint)value;
        return true;
    }
}
