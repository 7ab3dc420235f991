using Iced.Intel;

namespace Turnstone.Cpu.Internal.HostExecution;

/// <summary>
/// x87, MMX and SSE/SSE2 computation run on the host CPU, for results that are exact by
/// construction: 80-bit extended precision, every rounding mode, DAZ/FTZ, NaN propagation,
/// "integer indefinite" conversions and the exception flags are the host's own. .NET offers no
/// 80-bit type and no way to load MXCSR, so intrinsics alone cannot give that.
/// </summary>
/// <remarks>
/// Only a whitelist (legacy-encoded instructions whose CPUID features are FPU, CMOV with FPU, MMX,
/// SSE or SSE2, no implicit memory operand, no control instructions, which the CPU runs itself) is
/// re-encoded, with every operand rewritten to the vCPU's state block: XMM operands to XMM0/XMM1
/// loaded from slots, a general register to RAX, the memory operand to a 32-byte buffer the
/// interpreter fills from guest memory (after its own paging and alignment checks) and writes
/// back. A guest instruction can therefore reach nothing but that block. SIMD exceptions run
/// masked (the interpreter stops with NotImplemented when the guest had unmasked one that
/// occurred); x87 ones are only ever left pending, never taken, inside a thunk (see
/// SoftwareCpu.HostFloatingPoint), so the host never takes a floating-point trap. Built once per distinct
/// encoding at decode time; capped at <see cref="Capacity"/> shapes.
/// </remarks>
internal static class HostInstructionTable
{
    public const int Capacity = 4096;

    private static readonly HostInstruction[] Entries = new HostInstruction[Capacity];
    private static readonly Dictionary<string, int> ByEncoding = [];
    private static readonly Lock Gate = new();
    private static int _count;

    public static ref readonly HostInstruction Get(ulong index) => ref Entries[(int)index];

    private static readonly HashSet<Mnemonic> RunByInterpreter =
    [
        Mnemonic.Ldmxcsr, Mnemonic.Stmxcsr, Mnemonic.Fxsave, Mnemonic.Fxsave64, Mnemonic.Fxrstor, Mnemonic.Fxrstor64,
        Mnemonic.Fninit, Mnemonic.Finit, Mnemonic.Fnclex, Mnemonic.Fclex, Mnemonic.Fnstsw, Mnemonic.Fstsw,
        Mnemonic.Fnstcw, Mnemonic.Fstcw, Mnemonic.Fldcw, Mnemonic.Wait,
        // Environment and full-state images (the interpreter runs the 32-bit formats; the 16-bit ones stay not implemented).
        Mnemonic.Fnstenv, Mnemonic.Fstenv, Mnemonic.Fldenv, Mnemonic.Fnsave, Mnemonic.Fsave, Mnemonic.Frstor,
        // Implicit [RDI] stores: not rewritable to the buffer.
        Mnemonic.Maskmovq, Mnemonic.Maskmovdqu,
    ];

    /// <summary>Fills <paramref name="decoded"/> for a host-run instruction, or returns
    /// <see cref="Operation.NotImplemented"/> when the instruction is not one.</summary>
    public static Operation Translate(in Instruction instruction, ref DecodedInstruction decoded)
    {
        if (instruction.Encoding != EncodingKind.Legacy || RunByInterpreter.Contains(instruction.Mnemonic) || !ExecutableMemory.IsSupported)
        {
            return Operation.NotImplemented;
        }
        bool x87 = false, simd = false;
        foreach (var feature in instruction.Code.CpuidFeatures())
        {
            switch (feature)
            {
                case CpuidFeature.FPU: case CpuidFeature.FPU287: case CpuidFeature.FPU387: x87 = true; break;
                case CpuidFeature.CMOV: break; // FCMOVcc (FPU and CMOV)
                case CpuidFeature.MMX: case CpuidFeature.SSE: case CpuidFeature.SSE2: simd = true; break;
                case CpuidFeature.SSE3 when instruction.Mnemonic == Mnemonic.Fisttp: x87 = true; break;
                default: return Operation.NotImplemented;
            }
        }
        if (x87 == simd)
        {
            return Operation.NotImplemented;
        }
        var shape = default(HostInstruction);
        var rewritten = instruction;
        rewritten.HasRepPrefix = false;
        rewritten.HasRepnePrefix = false;
        rewritten.HasLockPrefix = false;
        rewritten.SegmentPrefix = Register.None;
        bool hasXmm = false, hasMmx = false;
        var roleRegister = new Register[2];
        var info = new InstructionInfoFactory().GetInfo(instruction);
        byte reg0 = 0, reg1 = 0;
        int roles = 0;
        for (int op = 0; op < instruction.OpCount; op++)
        {
            switch (instruction.GetOpKind(op))
            {
                case OpKind.Register:
                {
                    Register register = instruction.GetOpRegister(op);
                    if (register.IsXMM())
                    {
                        hasXmm = true;
                        int position = Array.IndexOf(roleRegister, register, 0, roles);
                        if (position < 0)
                        {
                            if (roles == 2)
                            {
                                return Operation.NotImplemented;
                            }
                            position = roles;
                            roleRegister[roles] = register;
                            SetRole(ref shape, ref reg0, ref reg1, roles++, HostOperandRole.Xmm, (byte)(register - Register.XMM0));
                        }
                        // The XMM register of role position p runs as host XMMp, loaded from slot p.
                        rewritten.SetOpRegister(op, Register.XMM0 + position);
                    }
                    else if (register.IsGPR())
                    {
                        if (roles == 2 || register.IsGPR8() || HasGeneral(shape))
                        {
                            return Operation.NotImplemented;
                        }
                        bool written = (info.GetOpAccess(op) & ~OpAccess.Read) is not (OpAccess.None or OpAccess.NoMemAccess);
                        roleRegister[roles] = register;
                        SetRole(ref shape, ref reg0, ref reg1, roles++, written ? HostOperandRole.GeneralWritten : HostOperandRole.GeneralRead,
                            InstructionTranslator.RegisterIndex(register));
                        rewritten.SetOpRegister(op, register.GetSize() switch { 8 => Register.RAX, 4 => Register.EAX, _ => Register.AX });
                    }
                    else if (register.IsMM())
                    {
                        hasMmx = true;
                    }
                    else if (!register.IsST())
                    {
                        return Operation.NotImplemented;
                    }
                    break;
                }
                case OpKind.Memory:
                {
                    int size = instruction.MemorySize.GetSize();
                    if (size is 0 or > 16)
                    {
                        return Operation.NotImplemented;
                    }
                    shape.MemorySize = (byte)size;
                    OpAccess access = info.GetOpAccess(op);
                    shape.MemoryRead = access is OpAccess.Read or OpAccess.ReadWrite or OpAccess.CondRead or OpAccess.ReadCondWrite;
                    shape.MemoryWritten = access is OpAccess.Write or OpAccess.ReadWrite or OpAccess.CondWrite or OpAccess.ReadCondWrite;
                    shape.Aligned = size == 16 && instruction.Mnemonic is not (Mnemonic.Movups or Mnemonic.Movupd or Mnemonic.Movdqu or Mnemonic.Lddqu);
                    rewritten.MemoryBase = Register.R11;
                    rewritten.MemoryIndex = Register.None;
                    rewritten.MemoryIndexScale = 1;
                    rewritten.MemoryDisplacement64 = FloatingPointStateLayout.MemoryOperand;
                    rewritten.MemoryDisplSize = 8; // Iced: 64-bit addressing, encoded as disp32
                    break;
                }
                case OpKind.Immediate8: case OpKind.Immediate16: case OpKind.Immediate32: case OpKind.Immediate8to16:
                case OpKind.Immediate8to32: case OpKind.Immediate8to64: case OpKind.Immediate32to64: case OpKind.Immediate8_2nd:
                    break;
                default:
                    return Operation.NotImplemented;
            }
        }
        if (instruction.OpCount == 0 && instruction.Mnemonic is Mnemonic.Emms)
        {
            hasMmx = true;
        }
        // Iced counts the x87 condition codes C0-C3 among the flags; only RFLAGS' own matter here.
        const Iced.Intel.RflagsBits arithmetic = Iced.Intel.RflagsBits.OF | Iced.Intel.RflagsBits.SF | Iced.Intel.RflagsBits.ZF |
            Iced.Intel.RflagsBits.AF | Iced.Intel.RflagsBits.CF | Iced.Intel.RflagsBits.PF;
        shape.FlagsRead = (instruction.RflagsRead & arithmetic) != 0;
        shape.FlagsWritten = (instruction.RflagsModified & arithmetic) != 0;
        if (x87)
        {
            shape.Class = HostInstructionClass.UsesX87State | HostInstructionClass.X87 | HostInstructionClass.UpdatesX87Pointers;
        }
        else if (instruction.Mnemonic == Mnemonic.Movnti)
        {
            shape.Class = HostInstructionClass.None; // a general-register store: no SIMD state involved
        }
        else
        {
            shape.Class = HostInstructionClass.Simd;
            if (hasMmx || instruction.Code.CpuidFeatures().Contains(CpuidFeature.MMX))
            {
                shape.Class |= HostInstructionClass.UsesX87State;
            }
            if (hasXmm || !hasMmx)
            {
                shape.Class |= HostInstructionClass.NeedsOsFxsr;
            }
        }

        byte[]? code = HostThunkAssembler.Assemble(rewritten, in shape);
        if (code is null)
        {
            return Operation.NotImplemented;
        }
        string key = Convert.ToHexString(code);
        int index;
        lock (Gate)
        {
            if (!ByEncoding.TryGetValue(key, out index))
            {
                if (_count == Capacity)
                {
                    return Operation.NotImplemented;
                }
                shape.Thunk = ExecutableMemory.Place(code);
                if (shape.Thunk == 0)
                {
                    return Operation.NotImplemented;
                }
                index = _count++;
                Entries[index] = shape;
                ByEncoding[key] = index;
            }
        }
        decoded.Reg = reg0;
        decoded.Reg2 = reg1;
        decoded.Immediate = (ulong)index;
        decoded.Flags &= ~OperandFlags.Immediate1;
        return Operation.HostFloatingPoint;
    }

    internal static bool HasGeneral(in HostInstruction shape) =>
        shape.Role0 is HostOperandRole.GeneralRead or HostOperandRole.GeneralWritten ||
        shape.Role1 is HostOperandRole.GeneralRead or HostOperandRole.GeneralWritten;

    private static void SetRole(ref HostInstruction shape, ref byte reg0, ref byte reg1, int position, HostOperandRole role, byte register)
    {
        if (position == 0)
        {
            shape.Role0 = role;
            reg0 = register;
        }
        else
        {
            shape.Role1 = role;
            reg1 = register;
        }
    }
}
