using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Turnstone.Cpu.Internal;
using Turnstone.Cpu.Internal.HostExecution;
using static Turnstone.Cpu.Internal.HostExecution.FloatingPointStateLayout;

namespace Turnstone.Cpu;

// x87, MMX and SSE/SSE2 computation on the host CPU (see HostInstructionTable for why and how):
// the interpreter checks CR0/CR4, pending x87 exceptions, paging and alignment, copies the operands
// into the state block, calls the instruction's thunk, and commits the results (unless the guest
// unmasked a SIMD exception that occurred: #XM is not implemented yet, such guests stop with
// NotImplemented and nothing changed).
public sealed unsafe partial class SoftwareCpu
{
    private bool HostFloatingPoint(ref DecodedInstruction i)
    {
        ref readonly HostInstruction h = ref HostInstructionTable.Get(i.Immediate);
        if (!HostInstructionUsable(h.Class))
        {
            return false;
        }
        byte* state = _fpu.Pointer;
        ulong address = 0;
        if (h.MemorySize != 0)
        {
            address = EffectiveAddress(ref i);
            if (h.Aligned && (address & 15) != 0)
            {
                return GeneralProtection();
            }
            if (h.MemoryWritten && !ProbeRange(_writeTlb, address, h.MemorySize))
            {
                return false;
            }
            // A destination is read too: an x87 store meeting an unmasked exception leaves memory
            // alone, and writing back the bytes it found keeps it so.
            if (!ProbeRange(_readTlb, address, h.MemorySize) || !ReadBytes(address, new Span<byte>(state + MemoryOperand, h.MemorySize)))
            {
                return false;
            }
        }
        LoadOperand(h.Role0, i.Reg, state + XmmSlot0);
        LoadOperand(h.Role1, i.Reg2, state + XmmSlot1);
        if (h.FlagsRead)
        {
            *(ulong*)(state + FlagsIn) = (MaterializeFlags() & RflagsBits.Arithmetic) | RflagsBits.Fixed;
        }
        // Run with every SIMD exception masked and the flags clear, so the flags afterwards are the
        // ones this instruction raised.
        *(uint*)(state + RunMxcsr) = (_mxcsr & ~0x3Fu) | 0x1F80;
        bool usesX87 = (h.Class & HostInstructionClass.UsesX87State) != 0;
        bool x87 = (h.Class & HostInstructionClass.X87) != 0;
        if (usesX87)
        {
            if ((_fpu.StatusWord & ~_fpu.ControlWord & 0x3F) != 0)
            {
                // Only FXRSTOR/FLDENV/FRSTOR make this state; how the host would treat it is not
                // something to find out with a trap in this process.
                return NotImplemented("an x87 status word with unmasked exception flags set but none pending (ES clear)");
            }
            *(uint*)(state + ImageMxcsr) = _mxcsr;
            if (!x87)
            {
                // An SSE instruction with an MMX operand changes the x87 tags and TOP: kept to put
                // back if it meets an unmasked SIMD exception.
                _fpu.X87.CopyTo(new Span<byte>(state + X87Backup, X87Bytes));
            }
        }

        // x87 instructions run with the guest's control word as it is: an unmasked x87 exception
        // is not taken by the faulting instruction but left pending (FSW.ES) for the next waiting
        // one, and the thunk's FXSAVE and FNINIT do not wait (SDM: FXSAVE does not check for
        // pending exceptions), so the host never traps and the guest gets the hardware's exact
        // unmasked behaviour (operands unchanged for invalid/zero-divide/denormal, biased results
        // for overflow/underflow), then #MF from its next waiting instruction.
        ((delegate* unmanaged[SuppressGCTransition]<byte*, void>)h.Thunk)(state);

        uint simdRaised = *(uint*)(state + RunMxcsr) & 0x3F;
        if ((simdRaised & ~(_mxcsr >> 7) & 0x3F) != 0)
        {
            if (usesX87)
            {
                new ReadOnlySpan<byte>(state + X87Backup, X87Bytes).CopyTo(_fpu.X87);
            }
            return NotImplemented("an unmasked SIMD floating-point exception (#XM)");
        }
        if ((h.Class & HostInstructionClass.UpdatesX87Pointers) != 0)
        {
            _fpu.InstructionPointer = R(BlockRipRegister) + i.Offset;
            if (h.MemorySize != 0)
            {
                _fpu.DataPointer = address;
            }
        }
        _mxcsr |= simdRaised;
        StoreOperand(h.Role0, i.Reg, state + XmmSlot0);
        StoreOperand(h.Role1, i.Reg2, state + XmmSlot1);
        if (h.FlagsWritten)
        {
            SetArithmeticFlags(*(ulong*)(state + FlagsOut));
        }
        return !h.MemoryWritten || WriteBytes(address, new ReadOnlySpan<byte>(state + MemoryOperand, h.MemorySize));
    }

    /// <summary>SDM Vol. 3 table 2-2: x87 takes #NM for CR0.EM or TS; MMX/SSE take #UD for CR0.EM
    /// (and SSE for a clear CR4.OSFXSR), #NM for TS; anything with x87 state first takes a pending
    /// x87 exception.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool HostInstructionUsable(HostInstructionClass kind)
    {
        if ((kind & HostInstructionClass.X87) != 0)
        {
            if ((_cr0 & (Cr0Bits.Emulation | Cr0Bits.TaskSwitched)) != 0)
            {
                return RaiseFault(ExceptionVector.DeviceNotAvailable);
            }
        }
        else if ((kind & HostInstructionClass.Simd) != 0)
        {
            if ((_cr0 & Cr0Bits.Emulation) != 0 || ((kind & HostInstructionClass.NeedsOsFxsr) != 0 && (_cr4 & Cr4Bits.OsFxsr) == 0))
            {
                return InvalidOpcode();
            }
            if ((_cr0 & Cr0Bits.TaskSwitched) != 0)
            {
                return RaiseFault(ExceptionVector.DeviceNotAvailable);
            }
        }
        return (kind & HostInstructionClass.UsesX87State) == 0 || NoPendingX87Exception();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void LoadOperand(HostOperandRole role, byte register, byte* slot)
    {
        if (role == HostOperandRole.Xmm)
        {
            Unsafe.WriteUnaligned(slot, _xmm[register]);
        }
        else if (role != HostOperandRole.None)
        {
            *(ulong*)(_fpu.Pointer + GeneralOperand) = R(register);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void StoreOperand(HostOperandRole role, byte register, byte* slot)
    {
        if (role == HostOperandRole.Xmm)
        {
            _xmm[register] = Unsafe.ReadUnaligned<Vector128<byte>>(slot);
        }
        else if (role == HostOperandRole.GeneralWritten)
        {
            R(register) = *(ulong*)(_fpu.Pointer + GeneralOperand);
        }
    }
}
