using Iced.Intel;
using static Turnstone.Cpu.Native.NativeState;

namespace Turnstone.Cpu.Native;

// Branches leave the block with the next RIP in its slot; the stack instructions reach [RSP]
// through the TLB like any memory operand. Each checks every access before it writes anything, so
// a miss leaves the instruction wholly undone for the interpreter.
internal sealed partial class NativeBlockCompiler
{
    private const int StackPointer = 4, FramePointer = 5;

    /// <summary>Jcc rel32 by condition code (o, no, b, ae, e, ne, be, a, s, ns, p, np, l, ge, le, g).</summary>
    private static readonly Code[] ConditionalJumps =
    [
        Code.Jo_rel32_64, Code.Jno_rel32_64, Code.Jb_rel32_64, Code.Jae_rel32_64, Code.Je_rel32_64, Code.Jne_rel32_64,
        Code.Jbe_rel32_64, Code.Ja_rel32_64, Code.Js_rel32_64, Code.Jns_rel32_64, Code.Jp_rel32_64, Code.Jnp_rel32_64,
        Code.Jl_rel32_64, Code.Jge_rel32_64, Code.Jle_rel32_64, Code.Jg_rel32_64,
    ];

    /// <summary>A conditional branch on the host's flags: taken, it leaves the block at its target;
    /// not taken, the block goes on (a forward branch in the middle) or ends after it.</summary>
    private bool EmitConditionalBranch(in Instruction instruction, int index)
    {
        if (!instruction.IsJccShortOrNear)
        {
            return false;
        }
        LoadFlags();
        int taken;
        long target = BranchTarget(instruction, index);
        if (_loopHead >= 0 && target == 0)
        {
            taken = _e.CreateLabel();
            _stubs.Add(new ExitStub(taken, index + 1, false, null, _flags, LoopBack: true));
        }
        else
        {
            taken = ExitLabel(index + 1, resume: false, nextRip: target, branch: true);
        }
        _e.Branch(ConditionalJumps[(int)instruction.ConditionCode - (int)ConditionCode.o], taken);
        return true;
    }

    private bool EmitDirectJump(in Instruction instruction, int index)
    {
        long target = BranchTarget(instruction, index);
        if (_loopHead >= 0 && target == 0)
        {
            EmitLoopBack(index + 1);
        }
        else
        {
            EmitExit(index + 1, resume: false, nextRip: target, branch: true);
        }
        return true;
    }

    /// <summary>A direct branch's target as an offset from the block start (negative: before it).</summary>
    private long BranchTarget(in Instruction instruction, int index) =>
        _legacy ? LegacyBranchTarget(_code[index]) : (long)instruction.NearBranchTarget;

    /// <summary>
    /// The branch back to the block's start: the pass's <paramref name="passLength"/> instructions added
    /// to the retired slot, then another pass if the budget holds one more and nothing waits for the run
    /// loop (<see cref="Attention"/>); otherwise the block leaves with RIP at its start, as a pass ending
    /// in the run loop would.
    /// </summary>
    private void EmitLoopBack(int passLength)
    {
        SaveFlags();
        int leave = _e.CreateLabel();
        EmitCountAndCheck(passLength, passLength, leave);
        _e.Branch(Code.Jmp_rel32_64, _loopHead);
        _e.Bind(leave);
        EmitExit(0, resume: false, nextRip: 0);
    }

    /// <summary>CALL rel32: the return address pushed, RIP the target.</summary>
    private bool EmitCall(in Instruction instruction, int index)
    {
        EmitPushCheck(index);
        EmitReturnAddress(instruction);
        EmitPushStore();
        EmitExit(index + 1, resume: false, nextRip: (long)instruction.NearBranchTarget);
        return true;
    }

    /// <summary>RET and RET imm16: RIP from [RSP], RSP past it and the immediate.</summary>
    private bool EmitReturn(in Instruction instruction, int index)
    {
        EmitStackRead(StackPointer, index);
        Store(NextRip, Register.RAX);
        EmitStackPointerFrom(StackPointer, 8 + (instruction.Code == Code.Retnq_imm16 ? instruction.Immediate16 : 0));
        EmitExit(index + 1, resume: false, nextRip: null);
        return true;
    }

    /// <summary>JMP and CALL through a 64-bit register or memory operand.</summary>
    private bool EmitIndirect(in Instruction instruction, int index)
    {
        bool call = instruction.Code == Code.Call_rm64;
        if (!call && instruction.Code != Code.Jmp_rm64)
        {
            return false;
        }
        if (instruction.Op0Kind == OpKind.Register)
        {
            SaveFlags();
            GuestLoad(Register.RAX, instruction.Op0Register - Register.RAX);
        }
        else if (EmitHostAddress(instruction, write: false, size: 8, index))
        {
            Emit(Instruction.Create(Code.Mov_r64_rm64, Register.RAX, new MemoryOperand(Register.R11)));
        }
        else
        {
            return false;
        }
        Store(NextRip, Register.RAX);
        if (call)
        {
            EmitPushCheck(index);
            EmitReturnAddress(instruction);
            EmitPushStore();
        }
        EmitExit(index + 1, resume: false, nextRip: null);
        return true;
    }

    /// <summary>PUSH r64, PUSH r/m64 and PUSH imm (sign-extended to 64 bits).</summary>
    private bool EmitPush(in Instruction instruction, int index)
    {
        bool fromMemory = instruction.Op0Kind == OpKind.Memory;
        if (fromMemory)
        {
            if (!EmitHostAddress(instruction, write: false, size: 8, index))
            {
                return false;
            }
            Emit(Instruction.Create(Code.Mov_r64_rm64, Register.RAX, new MemoryOperand(Register.R11)));
        }
        EmitPushCheck(index);
        if (instruction.Op0Kind == OpKind.Register)
        {
            GuestLoad(Register.RAX, instruction.Op0Register - Register.RAX);
        }
        else if (!fromMemory)
        {
            Emit(Instruction.Create(Code.Mov_r64_imm64, Register.RAX, (long)instruction.GetImmediate(0)));
        }
        EmitPushStore();
        return true;
    }

    /// <summary>POP r64: the value read, RSP raised, then the register written (so POP RSP loads the value).</summary>
    private bool EmitPop(in Instruction instruction, int index)
    {
        if (instruction.Op0Kind != OpKind.Register)
        {
            return false;
        }
        EmitStackRead(StackPointer, index);
        EmitStackPointerFrom(StackPointer, 8);
        GuestStore(instruction.Op0Register - Register.RAX, Register.RAX);
        return true;
    }

    /// <summary>LEAVE: RSP = RBP, then POP RBP (read from the old RBP before anything is written).</summary>
    private bool EmitLeave(int index)
    {
        EmitStackRead(FramePointer, index);
        EmitStackPointerFrom(FramePointer, 8);
        GuestStore(FramePointer, Register.RAX);
        return true;
    }

    /// <summary>RAX = the 8 bytes at the address in guest register <paramref name="address"/> (RSP, or RBP for
    /// LEAVE); a miss stops before the instruction, which has written nothing yet.</summary>
    private void EmitStackRead(int address, int index)
    {
        SaveFlags();
        GuestLoad(Register.RSI, address);
        EmitTlbLookup(write: false, size: 8, index);
        Emit(Instruction.Create(Code.Mov_r64_rm64, Register.RAX, new MemoryOperand(Register.R11)));
    }

    /// <summary>RSP = guest register <paramref name="from"/> + <paramref name="bytes"/>; RAX is kept.</summary>
    private void EmitStackPointerFrom(int from, long bytes)
    {
        GuestLoad(Register.RDI, from);
        Lea(Register.RDI, Register.RDI, bytes);
        Store(StackPointer, Register.RDI);
    }

    /// <summary>R11 = host address of the 8 bytes below RSP (a miss stops before the instruction); RAX is kept.</summary>
    private void EmitPushCheck(int index)
    {
        SaveFlags();
        Load(Register.RSI, StackPointer);
        Lea(Register.RSI, Register.RSI, -8);
        EmitTlbLookup(write: true, size: 8, index);
    }

    /// <summary>RAX = the linear address of the instruction after a CALL.</summary>
    private void EmitReturnAddress(in Instruction instruction)
    {
        Load(Register.RAX, BlockRip);
        Lea(Register.RAX, Register.RAX, (long)instruction.NextIP);
    }

    /// <summary>Stores RAX at R11 and lowers RSP by 8.</summary>
    private void EmitPushStore()
    {
        Emit(Instruction.Create(Code.Mov_rm64_r64, new MemoryOperand(Register.R11), Register.RAX));
        EmitStackPointerFrom(StackPointer, -8);
    }
}
