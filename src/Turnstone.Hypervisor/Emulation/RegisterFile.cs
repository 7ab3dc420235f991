using Iced.Intel;
using Turnstone.Hypervisor.Interop;

namespace Turnstone.Hypervisor.Emulation;

/// <summary>Maps Iced's register names onto KVM's register structures, with x86 sub-register write rules.</summary>
internal static class RegisterFile
{
    public static ref ulong Full(ref KvmRegs regs, Register register)
    {
        switch (register.GetFullRegister())
        {
            case Register.RAX: return ref regs.Rax;
            case Register.RBX: return ref regs.Rbx;
            case Register.RCX: return ref regs.Rcx;
            case Register.RDX: return ref regs.Rdx;
            case Register.RSI: return ref regs.Rsi;
            case Register.RDI: return ref regs.Rdi;
            case Register.RSP: return ref regs.Rsp;
            case Register.RBP: return ref regs.Rbp;
            case Register.R8: return ref regs.R8;
            case Register.R9: return ref regs.R9;
            case Register.R10: return ref regs.R10;
            case Register.R11: return ref regs.R11;
            case Register.R12: return ref regs.R12;
            case Register.R13: return ref regs.R13;
            case Register.R14: return ref regs.R14;
            case Register.R15: return ref regs.R15;
            case Register.RIP: return ref regs.Rip;
            default: throw new NotSupportedException($"register {register} is not a general-purpose register");
        }
    }

    public static ulong Read(ref KvmRegs regs, Register register)
    {
        ulong value = Full(ref regs, register);
        return register.GetSize() switch
        {
            1 when register is >= Register.AH and <= Register.BH => (value >> 8) & 0xFF,
            1 => value & 0xFF,
            2 => value & 0xFFFF,
            4 => value & 0xFFFF_FFFF,
            _ => value,
        };
    }

    /// <summary>Writes with the architectural rule: 32-bit writes zero-extend, 8/16-bit writes merge.</summary>
    public static void Write(ref KvmRegs regs, Register register, ulong value)
    {
        ref ulong full = ref Full(ref regs, register);
        full = register.GetSize() switch
        {
            1 when register is >= Register.AH and <= Register.BH => (full & ~0xFF00ul) | ((value & 0xFF) << 8),
            1 => (full & ~0xFFul) | (value & 0xFF),
            2 => (full & ~0xFFFFul) | (value & 0xFFFF),
            4 => value & 0xFFFF_FFFF,
            _ => value,
        };
    }

    /// <summary>Register values for Iced's effective-address computation (segment bases included).</summary>
    public static bool TryGetForAddress(ref KvmRegs regs, in KvmSregs sregs, Register register, out ulong value)
    {
        switch (register)
        {
            case Register.FS: value = sregs.Fs.Base; return true;
            case Register.GS: value = sregs.Gs.Base; return true;
            case Register.ES or Register.CS or Register.SS or Register.DS: value = 0; return true; // flat in long mode
            case Register.None: value = 0; return true;
        }
        if (register.IsGPR() || register == Register.RIP || register == Register.EIP)
        {
            value = register == Register.EIP ? regs.Rip & 0xFFFF_FFFF : Read(ref regs, register);
            return true;
        }
        value = 0;
        return false;
    }
}
