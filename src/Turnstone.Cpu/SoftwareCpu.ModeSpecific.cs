using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// The dispatcher's second half: the operations ModeTranslator produces (16/32-bit branches and
// stack forms, far transfers in every mode). Reached from Execute's default case, so the 64-bit
// hot path's switch is unchanged.
public sealed unsafe partial class SoftwareCpu
{
    private bool ExecuteModeSpecific(ref DecodedInstruction i)
    {
        switch (i.Op)
        {
            case Operation.NearJmp: return NearJump(NextRip(ref i) + i.Immediate, i.Size);
            case Operation.NearJcc: return !Condition(i.Aux) || NearJump(NextRip(ref i) + i.Immediate, i.Size);
            case Operation.NearJmpIndirect: return ReadOperand0(ref i, out ulong target) && NearJump(target, i.Size);
            case Operation.NearCall: return NearCall(ref i, NextRip(ref i) + i.Immediate);
            case Operation.NearCallIndirect: return ReadOperand0(ref i, out ulong callTarget) && NearCall(ref i, callTarget);
            case Operation.NearRet: return NearReturn(ref i);
            case Operation.NearLoop: return NearLoop(ref i);
            case Operation.NearJcxz: return Counter(ref i) != 0 || NearJump(NextRip(ref i) + i.Immediate, i.Size);
            case Operation.StackPush: return StackPushOperand(ref i);
            case Operation.StackPop: return StackPopOperand(ref i);
            case Operation.StackPushSegment: return StackPush(_segments[i.Aux].Selector, i.Size);
            case Operation.StackPopSegment: return StackPopSegment(ref i);
            case Operation.StackPushf: return StackPushFlags(ref i);
            case Operation.StackPopf: return StackPopFlags(ref i);
            case Operation.Pusha: return PushAll(ref i);
            case Operation.Popa: return PopAll(ref i);
            case Operation.StackEnter: return StackEnter(ref i);
            case Operation.StackLeave: return StackLeave(ref i);
            case Operation.FarJmp: return FarTransfer((ushort)i.Displacement, i.Immediate, i.Size, call: false, NextRip(ref i));
            case Operation.FarCall: return FarTransfer((ushort)i.Displacement, i.Immediate, i.Size, call: true, NextRip(ref i));
            case Operation.FarJmpIndirect: return FarTransferIndirect(ref i, call: false);
            case Operation.FarCallIndirect: return FarTransferIndirect(ref i, call: true);
            case Operation.FarRet: return FarReturn(ref i);
            case Operation.LoadFarPointer: return LoadFarPointer(ref i);
            case Operation.Into: return !OverflowFlag() || SoftwareInterrupt(ref i, (byte)ExceptionVector.Overflow, EventKind.Software);
            case Operation.Bound: return CheckBound(ref i);
            case Operation.Arpl: return AdjustRequestedPrivilege(ref i);
            case Operation.Lar: return LoadAccessRightsOrLimit(ref i, limit: false);
            case Operation.Lsl: return LoadAccessRightsOrLimit(ref i, limit: true);
            case Operation.Verr: return VerifySegment(ref i, write: false);
            case Operation.Verw: return VerifySegment(ref i, write: true);
            case Operation.Sysenter: return SystemEnter();
            case Operation.Sysexit: return SystemExit(ref i);
            case Operation.Daa: DecimalAdjust(subtract: false); return true;
            case Operation.Das: DecimalAdjust(subtract: true); return true;
            case Operation.Aaa: AsciiAdjust(subtract: false); return true;
            case Operation.Aas: AsciiAdjust(subtract: true); return true;
            case Operation.Aam: return AsciiAdjustAfterMultiply((byte)i.Immediate);
            case Operation.Aad: AsciiAdjustBeforeDivide((byte)i.Immediate); return true;
            case Operation.Salc: WriteRegister(1, 0, (MaterializeFlags() & RflagsBits.Cf) != 0 ? 0xFFUL : 0); return true;
            default: return NotImplemented("this instruction");
        }
    }

    private bool CheckBound(ref DecodedInstruction i)
    {
        ulong address = EffectiveAddress(ref i);
        if (!TryRead(address, i.Size, out ulong lower) || !TryRead(address + i.Size, i.Size, out ulong upper))
        {
            return false;
        }
        long index = SignExtend(ReadRegister(i.Size, i.Reg), i.Size);
        if (index < SignExtend(lower, i.Size) || index > SignExtend(upper, i.Size))
        {
            return RaiseFault(ExceptionVector.BoundRange);
        }
        return true;
    }

    private bool AdjustRequestedPrivilege(ref DecodedInstruction i)
    {
        if ((_cr0 & Cr0Bits.ProtectionEnable) == 0)
        {
            return InvalidOpcode();
        }
        if (!ReadOperand0(ref i, out ulong destination))
        {
            return false;
        }
        ulong source = R(i.Reg2);
        ulong flags = MaterializeFlags();
        if ((destination & 3) < (source & 3))
        {
            if (!WriteOperand0(ref i, (destination & ~3UL) | (source & 3)))
            {
                return false;
            }
            SetArithmeticFlags(flags | RflagsBits.Zf);
        }
        else
        {
            SetArithmeticFlags(flags & ~RflagsBits.Zf);
        }
        return true;
    }
}
