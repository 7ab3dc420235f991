using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// The segment checks shared by the returns (far RET, IRET/IRETD, IRETQ): the code segment they
// return to and, at an outer level, the stack segment they load (SDM Vol. 2, RET and IRET).
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>
    /// Loads the descriptor of the code segment a return goes to: not null, RPL not below the CPL, a
    /// code segment (not both L and D in long mode) whose DPL equals the RPL (at most the RPL when
    /// conforming), present. Raises #GP (error: the selector) or #NP; false when it did.
    /// </summary>
    private bool TryLoadReturnCodeSegment(ushort selector, out SegmentRegister code)
    {
        code = default;
        uint error = (uint)(selector & 0xFFFC);
        int rpl = selector & 3;
        if (error == 0)
        {
            return GeneralProtection();
        }
        if (rpl < _cpl)
        {
            return GeneralProtection(error);
        }
        if (!TryReadDescriptor(selector, out ulong descriptor, ExceptionVector.GeneralProtection, 0))
        {
            return false;
        }
        code = SegmentRegister.FromDescriptor(selector, descriptor, 0);
        bool conforming = (code.Type & 4) != 0;
        if (!code.IsCode || (_longModeActive && code.Long && code.DefaultBig) || (conforming ? code.Dpl > rpl : code.Dpl != rpl))
        {
            return GeneralProtection(error);
        }
        return code.Present || RaiseFault(ExceptionVector.SegmentNotPresent, error);
    }

    /// <summary>
    /// Loads the descriptor of the stack segment a return to privilege level <paramref name="rpl"/>
    /// loads (a null selector is the caller's case): RPL and DPL equal to it, a writable data
    /// segment, present. Raises #GP (error: the selector) or #SS; false when it did.
    /// </summary>
    private bool TryLoadReturnStackSegment(ushort selector, int rpl, out SegmentRegister stack)
    {
        stack = default;
        uint error = (uint)(selector & 0xFFFC);
        if (error == 0 || (selector & 3) != rpl)
        {
            return GeneralProtection(error);
        }
        if (!TryReadDescriptor(selector, out ulong descriptor, ExceptionVector.GeneralProtection, 0))
        {
            return false;
        }
        stack = SegmentRegister.FromDescriptor(selector, descriptor, 0);
        if (!stack.IsCodeOrData || stack.IsCode || (stack.Type & 2) == 0 || stack.Dpl != rpl)
        {
            return GeneralProtection(error);
        }
        return stack.Present || RaiseFault(ExceptionVector.StackFault, error);
    }
}
