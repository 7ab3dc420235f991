using Iced.Intel;
using Turnstone.Cpu.Internal;
using RflagsBits = Iced.Intel.RflagsBits;
using static Turnstone.Cpu.Native.NativeState;

namespace Turnstone.Cpu.Native;

// The integer instructions run as themselves: operands moved into host registers, the memory
// operand into [R11], the instruction re-encoded and run, written registers stored back.
internal sealed partial class NativeBlockCompiler
{
    /// <summary>Host registers an instruction's remappable register operands take, in order; R11
    /// holds the memory operand's host address, RBX the state, RSI and RDI are the TLB look-up's.</summary>
    private static readonly Register[] Pool = [Register.R8, Register.R9, Register.R10, Register.RSI, Register.RDI, Register.RAX, Register.RCX, Register.RDX];

    /// <summary>The host register of each guest register for the instruction being emitted (reused).</summary>
    private readonly Register[] _hostOf = new Register[16];

    private bool EmitInstruction(ref DecodedInstruction decoded, ref Instruction instruction, int index)
    {
        if (decoded.Op == Operation.Nop)
        {
            return true; // NOPs with memory operands and JMPs the block continues through
        }
        if (_legacy)
        {
            return EmitLegacyInstruction(ref decoded, ref instruction, index);
        }
        if ((decoded.Flags & (OperandFlags.AddressSize32 | OperandFlags.AddressSize16)) != 0)
        {
            return false;
        }
        return decoded.Op switch
        {
            Operation.Jcc => EmitConditionalBranch(instruction, index),
            Operation.Jmp => instruction.Code is Code.Jmp_rel8_64 or Code.Jmp_rel32_64 && EmitDirectJump(instruction, index),
            Operation.Call => instruction.Code == Code.Call_rel32_64 && EmitCall(instruction, index),
            Operation.Ret => instruction.Code is Code.Retnq or Code.Retnq_imm16 && EmitReturn(instruction, index),
            Operation.JmpR or Operation.JmpM or Operation.CallR or Operation.CallM => EmitIndirect(instruction, index),
            Operation.PushR or Operation.PushI or Operation.PushM => instruction.Code is Code.Push_r64 or Code.Push_rm64 or Code.Pushq_imm8 or Code.Pushq_imm32 && EmitPush(instruction, index),
            Operation.PopR => instruction.Code is Code.Pop_r64 or Code.Pop_rm64 && EmitPop(instruction, index),
            Operation.Leave => instruction.Code == Code.Leaveq && EmitLeave(index),
            _ => MakeEncodable(ref instruction) && EmitDataInstruction(ref decoded, ref instruction, index),
        };
    }

    /// <summary>The instructions that run as themselves, in 64- and 32-bit code alike.</summary>
    private bool EmitDataInstruction(ref DecodedInstruction decoded, ref Instruction instruction, int index) => decoded.Op switch
    {
        Operation.Lea => EmitLea(instruction),
        Operation.Div => instruction.Op0Kind == OpKind.Register && EmitAsItself(ref instruction, index),
        _ => IsRunAsItself(decoded.Op) && HostHas(decoded.Op) && (decoded.Flags & (OperandFlags.Rep | OperandFlags.Repne)) == 0
            && !IsBitStringAccess(instruction) && EmitAsItself(ref instruction, index),
    };

    /// <summary>A shift or rotate by CL, whose count may be 0 at run time, which leaves every flag as it was. (One by
    /// an immediate sets them all, or leaves them undefined, whatever they were; Iced reports one whose immediate
    /// masks to 0 as modifying no flags, so the guest's stay where they are.)</summary>
    private static bool MayKeepFlags(in Instruction instruction) =>
        instruction.Mnemonic is Mnemonic.Shl or Mnemonic.Shr or Mnemonic.Sar or Mnemonic.Sal or
            Mnemonic.Rol or Mnemonic.Ror or Mnemonic.Rcl or Mnemonic.Rcr or Mnemonic.Shld or Mnemonic.Shrd
        && instruction.GetOpKind(instruction.OpCount - 1) != OpKind.Immediate8;

    /// <summary>BT/BTS/BTR/BTC of memory by a register: the bit offset reaches memory far outside the operand
    /// (up to 2^63 bits away), which the TLB look-up of the operand's own bytes does not cover.</summary>
    private static bool IsBitStringAccess(in Instruction instruction) =>
        instruction.Mnemonic is Mnemonic.Bt or Mnemonic.Bts or Mnemonic.Btr or Mnemonic.Btc
        && instruction.Op0Kind == OpKind.Memory && instruction.Op1Kind == OpKind.Register;

    /// <summary>Operations whose every form (registers, immediates, one memory operand, implicit RAX/RCX/RDX)
    /// the host runs exactly as the guest would: no exceptions possible on a checked host address, no
    /// system state, only the arithmetic flags.</summary>
    private static bool IsRunAsItself(Operation op) => op is
        >= Operation.AddRR and <= Operation.TestMemory or
        >= Operation.MovRR and <= Operation.MovsxRM or
        >= Operation.IncR and <= Operation.Xadd or
        Operation.ConvertAccumulator or Operation.ConvertAccumulatorToDx or
        Operation.Setcc or Operation.CmovRR or Operation.CmovRM or Operation.Bswap or
        Operation.Shift or Operation.Shld or Operation.Shrd or
        Operation.Mul or Operation.Imul1 or Operation.Imul2 or Operation.Imul3 or
        Operation.BitTest or Operation.Bsf or Operation.Bsr or Operation.Tzcnt or Operation.Lzcnt or Operation.Popcnt or
        // The SSE subset the interpreter runs in C# (SseTranslator): moves and integer and logic operations,
        // none of which reads MXCSR or can raise a SIMD exception.
        Operation.SseMove or Operation.SsePacked or Operation.SseShiftImmediate or Operation.SseMoveScalar or
        Operation.SseMoveHalf or Operation.SseMoveMask or Operation.SseShuffleDwords;

    private bool EmitAsItself(ref Instruction instruction, int index)
    {
        if (!PlanRegisters(ref instruction, out RegisterPlan plan))
        {
            return false;
        }
        RflagsBits read = instruction.RflagsRead, modified = instruction.RflagsModified;
        if (((read | modified) & ~ArithmeticFlags) != 0)
        {
            return false;
        }
        int memorySize = instruction.MemorySize.GetSize();
        if (plan.MemoryAccess != OpAccess.None && (!IsAddressable(instruction) || memorySize is < 1 or > 16))
        {
            return false;
        }
        if (plan.XmmUsed != 0)
        {
            EmitSseUsableCheck(index);
        }
        if (plan.MemoryAccess != OpAccess.None)
        {
            // Legacy SSE's 16-byte operands must be aligned (the host would fault), but for the unaligned moves'.
            bool aligned = memorySize == 16 && instruction.Mnemonic is not (Mnemonic.Movdqu or Mnemonic.Movups or Mnemonic.Movupd);
            EmitHostAddress(instruction, plan.MemoryWritten, memorySize, index, aligned);
        }
        // Flags the instruction reads, keeps (INC's CF), or keeps when its count is 0 (shifts) must be the guest's.
        bool keepsSome = modified != 0 && (modified & ArithmeticFlags) != ArithmeticFlags;
        if (read != 0 || keepsSome || MayKeepFlags(instruction))
        {
            LoadFlags(); // POPFQ: the slowest instruction in a loop's code, so left out wherever it can be
        }
        bool divide = instruction.Mnemonic == Mnemonic.Div;
        if (divide)
        {
            SaveFlags(); // the guard's compares
        }
        EmitXmmTransfer(plan.XmmUsed, load: true);
        for (int g = 0; g < 16; g++)
        {
            if (plan.Host[g] != Register.None && plan.Host[g] != _cached[g])
            {
                GuestLoad(plan.Host[g], g);
            }
        }
        if (divide)
        {
            EmitDivideGuard(instruction, plan, index);
        }
        Instruction rewritten = instruction;
        for (int op = 0; op < rewritten.OpCount; op++)
        {
            if (rewritten.GetOpKind(op) == OpKind.Register && rewritten.GetOpRegister(op).IsGPR())
            {
                Register guest = rewritten.GetOpRegister(op);
                rewritten.SetOpRegister(op, Sized(plan.Host[guest.GetFullRegister() - Register.RAX], guest.GetSize()));
            }
        }
        if (plan.MemoryAccess != OpAccess.None)
        {
            rewritten.MemoryBase = Register.R11;
            rewritten.MemoryIndex = Register.None;
            rewritten.MemoryIndexScale = 1;
            rewritten.MemoryDisplacement64 = 0;
            rewritten.MemoryDisplSize = 0;
            rewritten.SegmentPrefix = Register.None;
        }
        Emit(rewritten);
        for (int g = 0; g < 16; g++)
        {
            if ((plan.Written & (1 << g)) != 0 && plan.Host[g] != _cached[g])
            {
                GuestStore(g, plan.Host[g]);
            }
        }
        EmitXmmTransfer(plan.XmmWritten, load: false);
        if (modified != 0)
        {
            _flags = FlagPlace.Host;
        }
        return true;
    }

    /// <summary>Which host register holds each guest register the instruction uses (None: unused), which
    /// guest registers it writes, and its memory access.</summary>
    private ref struct RegisterPlan
    {
        public Span<Register> Host;
        public int Written;
        /// <summary>XMM registers (by number; each runs in the host's same register) used and written.</summary>
        public int XmmUsed, XmmWritten;
        public OpAccess MemoryAccess;
        public bool MemoryWritten;
    }

    private bool PlanRegisters(ref Instruction instruction, out RegisterPlan plan)
    {
        Array.Clear(_hostOf);
        plan = new RegisterPlan { Host = _hostOf, MemoryAccess = OpAccess.None };
        OpCodeInfo opCode = instruction.Code.ToOpCode();
        int hostTaken = 0; // bit per host register number
        int explicitGuests = 0;
        for (int op = 0; op < instruction.OpCount; op++)
        {
            switch (instruction.GetOpKind(op))
            {
                case OpKind.Register:
                    Register register = instruction.GetOpRegister(op);
                    if (register.IsXMM() && register <= Register.XMM15)
                    {
                        break;
                    }
                    if (!register.IsGPR() || register is >= Register.AH and <= Register.BH)
                    {
                        return false;
                    }
                    int guest = register.GetFullRegister() - Register.RAX;
                    if (IsRemappable(opCode.GetOpKind(op)))
                    {
                        explicitGuests |= 1 << guest;
                    }
                    else if (!TakeIdentity(ref plan, guest, ref hostTaken))
                    {
                        return false;
                    }
                    break;
                case OpKind.Memory:
                    // (MOV with an absolute address, mem_offs, was given a ModRM form by MakeEncodable.)
                    if (!instruction.IsIPRelativeMemoryOperand && (instruction.MemoryBase is not Register.None && !IsAddressRegister(instruction.MemoryBase)
                        || instruction.MemoryIndex is not Register.None && !IsAddressRegister(instruction.MemoryIndex)))
                    {
                        return false;
                    }
                    break;
                case OpKind.Immediate8 or OpKind.Immediate16 or OpKind.Immediate32 or OpKind.Immediate64 or
                    OpKind.Immediate8to16 or OpKind.Immediate8to32 or OpKind.Immediate8to64 or OpKind.Immediate32to64:
                    break;
                default:
                    return false;
            }
        }
        foreach (int guest in ImplicitRegisters(instruction))
        {
            if (!TakeIdentity(ref plan, guest, ref hostTaken))
            {
                return false;
            }
        }
        InstructionInfo info = _info.GetInfo(instruction);
        foreach (UsedMemory memory in info.GetUsedMemory())
        {
            plan.MemoryAccess = memory.Access;
            plan.MemoryWritten = memory.Access is OpAccess.Write or OpAccess.ReadWrite or OpAccess.CondWrite or OpAccess.ReadCondWrite;
        }
        int addressRegisters = 0;
        if (plan.MemoryAccess != OpAccess.None || instruction.Mnemonic == Mnemonic.Lea)
        {
            addressRegisters |= GuestBit(instruction.MemoryBase) | GuestBit(instruction.MemoryIndex);
        }
        foreach (UsedRegister used in info.GetUsedRegisters())
        {
            Register register = used.Register;
            if (register.IsSegmentRegister() || register is Register.RIP or Register.EIP)
            {
                continue;
            }
            if (register.IsXMM() && register <= Register.XMM15)
            {
                int xmm = register - Register.XMM0;
                plan.XmmUsed |= 1 << xmm;
                if (used.Access is OpAccess.Write or OpAccess.ReadWrite or OpAccess.CondWrite or OpAccess.ReadCondWrite)
                {
                    plan.XmmWritten |= 1 << xmm;
                }
                continue;
            }
            if (!register.IsGPR())
            {
                return false;
            }
            int guest = register.GetFullRegister() - Register.RAX;
            if (used.Access is OpAccess.Write or OpAccess.ReadWrite or OpAccess.CondWrite or OpAccess.ReadCondWrite)
            {
                plan.Written |= 1 << guest;
            }
            bool isExplicit = (explicitGuests & (1 << guest)) != 0;
            bool addressOnly = (addressRegisters & (1 << guest)) != 0 && used.Access == OpAccess.Read;
            if (!isExplicit && !addressOnly && plan.Host[guest] == Register.None)
            {
                return false; // an implicit register not listed in ImplicitRegisters (RSP, RSI, RDI, ...)
            }
        }
        if (plan.MemoryAccess != OpAccess.None)
        {
            hostTaken |= 1 << 11;
        }
        for (int guest = 0; guest < 16; guest++)
        {
            if ((explicitGuests & (1 << guest)) == 0 || plan.Host[guest] != Register.None)
            {
                continue;
            }
            if (_cached[guest] != Register.None)
            {
                plan.Host[guest] = _cached[guest]; // operated on where it lives
                continue;
            }
            Register? free = null;
            foreach (Register candidate in Pool)
            {
                if ((hostTaken & (1 << (candidate - Register.RAX))) == 0)
                {
                    free = candidate;
                    break;
                }
            }
            if (free is not Register host)
            {
                return false;
            }
            plan.Host[guest] = host;
            hostTaken |= 1 << (host - Register.RAX);
        }
        return true;
    }

    /// <summary>The registers the encoding uses without naming them, which must be the host's same registers.</summary>
    private static int[] ImplicitRegisters(in Instruction instruction) => instruction.Mnemonic switch
    {
        Mnemonic.Mul or Mnemonic.Div or Mnemonic.Imul when instruction.OpCount == 1 => RaxRdx,
        Mnemonic.Cwd or Mnemonic.Cdq or Mnemonic.Cqo => RaxRdx,
        Mnemonic.Cbw or Mnemonic.Cwde or Mnemonic.Cdqe or Mnemonic.Cmpxchg => RaxOnly,
        _ => [],
    };

    private static readonly int[] RaxRdx = [0, 2], RaxOnly = [0];

    /// <summary>Loads (or stores back) the guest's XMM registers in <paramref name="registers"/> in the host's same ones; R10 is used.</summary>
    private void EmitXmmTransfer(int registers, bool load)
    {
        if (registers == 0)
        {
            return;
        }
        Load(Register.R10, XmmBase);
        for (int n = 0; n < 16; n++)
        {
            if ((registers & (1 << n)) != 0)
            {
                var slot = new MemoryOperand(Register.R10, n * 16);
                Emit(load ? Instruction.Create(Code.Movdqu_xmm_xmmm128, Register.XMM0 + n, slot)
                    : Instruction.Create(Code.Movdqu_xmmm128_xmm, slot, Register.XMM0 + n));
            }
        }
    }

    /// <summary>
    /// Before DIV by a register (loaded): stops before it when the host would raise #DE, which would end
    /// the process; the interpreter raises it for the guest. A zero divisor, or a high half of the dividend
    /// (AH, DX, EDX, RDX) not below the divisor, whose quotient would not fit. R11 is used.
    /// </summary>
    private void EmitDivideGuard(in Instruction instruction, in RegisterPlan plan, int index)
    {
        int stop = ExitLabel(index, resume: true, nextRip: null);
        Register divisor = instruction.Op0Register;
        int size = divisor.GetSize();
        Register host = Sized(plan.Host[divisor.GetFullRegister() - Register.RAX], size);
        Register scratch = Sized(Register.R11, size);
        Emit(Instruction.Create(size switch { 8 => Code.Test_rm64_r64, 4 => Code.Test_rm32_r32, 2 => Code.Test_rm16_r16, _ => Code.Test_rm8_r8 }, host, host));
        _e.Branch(Code.Je_rel32_64, stop);
        if (size == 1)
        {
            Emit(Instruction.Create(Code.Mov_r32_rm32, Register.R11D, Register.EAX));
            Emit(Instruction.Create(Code.Shr_rm32_imm8, Register.R11D, 8)); // AH
        }
        else
        {
            Emit(Instruction.Create(Code.Mov_r64_rm64, Register.R11, Register.RDX));
        }
        Emit(Instruction.Create(size switch { 8 => Code.Cmp_r64_rm64, 4 => Code.Cmp_r32_rm32, 2 => Code.Cmp_r16_rm16, _ => Code.Cmp_r8_rm8 }, scratch, host));
        _e.Branch(Code.Jae_rel32_64, stop);
    }

    /// <summary>Stops before the instruction while SSE would fault (the interpreter raises it); RCX is used, RFLAGS kept.</summary>
    private void EmitSseUsableCheck(int index)
    {
        int stop = ExitLabel(index, resume: true, nextRip: null);
        Load(Register.RCX, SseBlocked);
        // JRCXZ over the 5-byte JMP to the stop: a test without touching RFLAGS.
        Emit(Instruction.CreateBranch(Code.Jrcxz_rel8_64, (ulong)(_e.Length + 2 + 5)));
        _e.Branch(Code.Jmp_rel32_64, stop);
    }

    private static int GuestBit(Register register) => register.IsGPR64() || register.IsGPR32() ? 1 << (register.GetFullRegister() - Register.RAX) : 0;

    /// <summary>A register that may form an address: 64-bit ones in 64-bit code, 32-bit ones in 32-bit code.</summary>
    private bool IsAddressRegister(Register register) => _legacy ? register.IsGPR32() : register.IsGPR64();

    /// <summary>An operand the encoding fixes (AL in ADD AL, imm8; CL of a shift count; MUL's RAX and RDX)
    /// stays in its own host register; only RAX, RCX and RDX are free to take so.</summary>
    private static bool TakeIdentity(ref RegisterPlan plan, int guest, ref int hostTaken)
    {
        if (guest > 2 || (hostTaken & (1 << guest)) != 0 && plan.Host[guest] != Register.RAX + guest)
        {
            return false;
        }
        plan.Host[guest] = Register.RAX + guest;
        hostTaken |= 1 << guest;
        return true;
    }

    private static bool IsRemappable(OpCodeOperandKind kind) => kind is
        OpCodeOperandKind.r8_or_mem or OpCodeOperandKind.r16_or_mem or OpCodeOperandKind.r32_or_mem or OpCodeOperandKind.r64_or_mem or
        OpCodeOperandKind.r8_reg or OpCodeOperandKind.r8_opcode or OpCodeOperandKind.r16_reg or OpCodeOperandKind.r16_opcode or
        OpCodeOperandKind.r32_reg or OpCodeOperandKind.r32_opcode or OpCodeOperandKind.r64_reg or OpCodeOperandKind.r64_opcode or
        OpCodeOperandKind.r16_rm or OpCodeOperandKind.r32_rm or OpCodeOperandKind.r64_rm;

    /// <summary>The host register <paramref name="full"/> at an operand size (8-bit: the low byte, SPL..R15L past BL).</summary>
    private static Register Sized(Register full, int size)
    {
        int n = full - Register.RAX;
        return size switch
        {
            8 => full,
            4 => Register.EAX + n,
            2 => Register.AX + n,
            _ => n < 4 ? Register.AL + n : Register.SPL + (n - 4),
        };
    }
}
