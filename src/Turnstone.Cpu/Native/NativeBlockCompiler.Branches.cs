using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Turnstone.Cpu.Native.NativeState;

namespace Turnstone.Cpu.Native;

// Branches leave the block with the next RIP in its slot; the stack instructions reach [RSP]
// through the TLB like any memory operand. Each checks every access before it writes anything, so
// a miss leaves the instruction wholly undone for the interpreter.
internal sealed partial class NativeBlockCompiler
{
    private const int StackPointerSlot = 4 * 8;

    /// <summary>A conditional branch on the host's flags: taken, it leaves the block at its target;
    /// not taken, the block goes on (a forward branch in the middle) or ends after it.</summary>
    private bool EmitConditionalBranch(ref Instruction instruction, int index)
    {
        if (!instruction.IsJccShortOrNear)
        {
            return false;
        }
        LoadFlags();
        Label taken = ExitStub(index + 1, resume: false, nextRip: (long)instruction.NearBranchTarget);
        switch (instruction.ConditionCode)
        {
            case ConditionCode.o: _a.jo(taken); break;
            case ConditionCode.no: _a.jno(taken); break;
            case ConditionCode.b: _a.jb(taken); break;
            case ConditionCode.ae: _a.jae(taken); break;
            case ConditionCode.e: _a.je(taken); break;
            case ConditionCode.ne: _a.jne(taken); break;
            case ConditionCode.be: _a.jbe(taken); break;
            case ConditionCode.a: _a.ja(taken); break;
            case ConditionCode.s: _a.js(taken); break;
            case ConditionCode.ns: _a.jns(taken); break;
            case ConditionCode.p: _a.jp(taken); break;
            case ConditionCode.np: _a.jnp(taken); break;
            case ConditionCode.l: _a.jl(taken); break;
            case ConditionCode.ge: _a.jge(taken); break;
            case ConditionCode.le: _a.jle(taken); break;
            default: _a.jg(taken); break;
        }
        return true;
    }

    private bool EmitDirectJump(ref Instruction instruction, int index)
    {
        EmitExit(index + 1, resume: false, nextRip: (long)instruction.NearBranchTarget);
        return true;
    }

    /// <summary>CALL rel32: the return address pushed, RIP the target.</summary>
    private bool EmitCall(ref Instruction instruction, int index)
    {
        EmitPushCheck(index);
        _a.mov(rax, __qword_ptr[rbx + BlockRip * 8]);
        _a.lea(rax, __[rax + (long)instruction.NextIP]);
        EmitPushStore();
        EmitExit(index + 1, resume: false, nextRip: (long)instruction.NearBranchTarget);
        return true;
    }

    /// <summary>RET and RET imm16: RIP from [RSP], RSP past it and the immediate.</summary>
    private bool EmitReturn(ref Instruction instruction, int index)
    {
        SaveFlags();
        _a.mov(rsi, __qword_ptr[rbx + StackPointerSlot]);
        EmitTlbLookup(write: false, size: 8, index);
        _a.mov(rax, __qword_ptr[r11]);
        _a.mov(__qword_ptr[rbx + NextRip * 8], rax);
        _a.mov(rax, __qword_ptr[rbx + StackPointerSlot]);
        _a.lea(rax, __[rax + 8 + (instruction.Code == Code.Retnq_imm16 ? instruction.Immediate16 : 0)]);
        _a.mov(__qword_ptr[rbx + StackPointerSlot], rax);
        EmitExit(index + 1, resume: false, nextRip: null);
        return true;
    }

    /// <summary>JMP and CALL through a 64-bit register or memory operand.</summary>
    private bool EmitIndirect(ref Instruction instruction, int index)
    {
        bool call = instruction.Code is Code.Call_rm64;
        if (!call && instruction.Code != Code.Jmp_rm64)
        {
            return false;
        }
        if (instruction.Op0Kind == OpKind.Register)
        {
            SaveFlags();
            _a.mov(rax, __qword_ptr[rbx + (instruction.Op0Register - Register.RAX) * 8]);
        }
        else if (!EmitHostAddress(ref instruction, write: false, size: 8, index))
        {
            return false;
        }
        else
        {
            _a.mov(rax, __qword_ptr[r11]);
        }
        _a.mov(__qword_ptr[rbx + NextRip * 8], rax);
        if (call)
        {
            EmitPushCheck(index);
            _a.mov(rax, __qword_ptr[rbx + BlockRip * 8]);
            _a.lea(rax, __[rax + (long)instruction.NextIP]);
            EmitPushStore();
        }
        EmitExit(index + 1, resume: false, nextRip: null);
        return true;
    }

    /// <summary>PUSH r64, PUSH r/m64 and PUSH imm (sign-extended to 64 bits).</summary>
    private bool EmitPush(ref Instruction instruction, int index)
    {
        bool fromMemory = instruction.Op0Kind == OpKind.Memory;
        if (fromMemory)
        {
            if (!EmitHostAddress(ref instruction, write: false, size: 8, index))
            {
                return false;
            }
            _a.mov(rax, __qword_ptr[r11]);
        }
        EmitPushCheck(index);
        if (instruction.Op0Kind == OpKind.Register)
        {
            _a.mov(rax, __qword_ptr[rbx + (instruction.Op0Register - Register.RAX) * 8]);
        }
        else if (!fromMemory)
        {
            _a.mov(rax, (long)instruction.GetImmediate(0));
        }
        EmitPushStore();
        return true;
    }

    /// <summary>POP r64: the value read, RSP raised, then the register written (so POP RSP loads the value).</summary>
    private bool EmitPop(ref Instruction instruction, int index)
    {
        if (instruction.Op0Kind != OpKind.Register)
        {
            return false;
        }
        SaveFlags();
        _a.mov(rsi, __qword_ptr[rbx + StackPointerSlot]);
        EmitTlbLookup(write: false, size: 8, index);
        _a.mov(rax, __qword_ptr[r11]);
        _a.mov(rdi, __qword_ptr[rbx + StackPointerSlot]);
        _a.lea(rdi, __[rdi + 8]);
        _a.mov(__qword_ptr[rbx + StackPointerSlot], rdi);
        _a.mov(__qword_ptr[rbx + (instruction.Op0Register - Register.RAX) * 8], rax);
        return true;
    }

    /// <summary>R11 = host address of the 8 bytes below RSP (a miss stops before the instruction); RAX is kept.</summary>
    private void EmitPushCheck(int index)
    {
        SaveFlags();
        _a.mov(rsi, __qword_ptr[rbx + StackPointerSlot]);
        _a.lea(rsi, __[rsi - 8]);
        EmitTlbLookup(write: true, size: 8, index);
    }

    /// <summary>Stores RAX at R11 and lowers RSP by 8.</summary>
    private void EmitPushStore()
    {
        _a.mov(__qword_ptr[r11], rax);
        _a.mov(rdi, __qword_ptr[rbx + StackPointerSlot]);
        _a.lea(rdi, __[rdi - 8]);
        _a.mov(__qword_ptr[rbx + StackPointerSlot], rdi);
    }
}
