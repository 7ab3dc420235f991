using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Turnstone.Cpu.Internal;
using Turnstone.Cpu.Internal.HostExecution;
using static Turnstone.Cpu.Internal.HostExecution.FloatingPointStateLayout;

namespace Turnstone.Cpu;

// x87, MMX and SSE/SSE2 computation on the host CPU (see HostInstructionTable for why and how):
// the interpreter checks CR0/CR4, pending x87 exceptions, paging and alignment, copies the operands
// into the state block, calls the instruction's thunk, and commits the results unless the guest had
// unmasked an exception that occurred (not implemented yet: such guests stop with NotImplemented).
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
            if (h.MemoryRead && (!ProbeRange(_readTlb, address, h.MemorySize) || !ReadBytes(address, new Span<byte>(state + MemoryOperand, h.MemorySize))))
            {
                return false;
            }
            if (h.MemoryWritten && !ProbeRange(_writeTlb, address, h.MemorySize))
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
        bool x87 = (h.Class & HostInstructionClass.UsesX87State) != 0;
        ushort guestControl = 0, guestStatus = 0;
        if (x87)
        {
            guestControl = _fpu.ControlWord;
            guestStatus = _fpu.StatusWord;
            if ((guestControl & 0x3F) != 0x3F)
            {
                _fpu.X87.CopyTo(new Span<byte>(state + X87Backup, X87Bytes));
            }
            _fpu.ControlWord = (ushort)(guestControl | 0x3F);
            _fpu.StatusWord = (ushort)(guestStatus & ~(StatusBusy | 0xFF));
            *(uint*)(state + ImageMxcsr) = _mxcsr;
        }

        ((delegate* unmanaged[SuppressGCTransition]<byte*, void>)h.Thunk)(state);

        uint simdRaised = *(uint*)(state + RunMxcsr) & 0x3F;
        if ((simdRaised & ~(_mxcsr >> 7) & 0x3F) != 0)
        {
            if (x87)
            {
                RestoreX87Backup(guestControl, guestStatus);
            }
            return NotImplemented("an unmasked SIMD floating-point exception (#XM)");
        }
        if (x87)
        {
            ushort status = _fpu.StatusWord;
            int raised = status & 0x7F;
            if ((raised & ~guestControl & 0x3F) != 0)
            {
                RestoreX87Backup(guestControl, guestStatus);
                return NotImplemented("an unmasked x87 floating-point exception");
            }
            _fpu.ControlWord = guestControl;
            _fpu.StatusWord = (ushort)(status | (guestStatus & (StatusBusy | 0xFF)));
            if ((h.Class & HostInstructionClass.UpdatesX87Pointers) != 0)
            {
                _fpu.InstructionPointer = R(BlockRipRegister) + i.Offset;
                if (h.MemorySize != 0)
                {
                    _fpu.DataPointer = address;
                }
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

    private void RestoreX87Backup(ushort control, ushort status)
    {
        if ((control & 0x3F) != 0x3F)
        {
            new ReadOnlySpan<byte>(_fpu.Pointer + X87Backup, X87Bytes).CopyTo(_fpu.X87);
        }
        _fpu.ControlWord = control;
        _fpu.StatusWord = status;
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
