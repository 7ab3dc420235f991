using Iced.Intel;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu.Native;

// A block that loops round itself keeps its most used guest registers in host registers (R12-R15
// and RBP, callee-saved, so every entry saves them) for the whole call: loaded where code enters the
// block (its entry, a chained jump's entry, a resume entry), stored back where it leaves (the
// epilogue, and before a chained jump). Without it every instruction loaded its operands from the
// register file and stored its result there, a store-to-load chain through memory per dependency.
internal sealed partial class NativeBlockCompiler
{
    private static readonly Register[] CacheRegisters = [Register.R12, Register.R13, Register.R14, Register.R15, Register.RBP];

    /// <summary>The host register holding each guest register in this block (None: it lives in the register file).</summary>
    private readonly Register[] _cached = new Register[16];

    /// <summary>Caches the guest registers a looping block names at least twice (its stack pointer aside, which the
    /// stack instructions reach through the file), the most used first.</summary>
    private void ChooseCachedRegisters()
    {
        Array.Fill(_cached, Register.None);
        if (_loopHead < 0)
        {
            return;
        }
        Span<int> uses = stackalloc int[16];
        foreach (ref DecodedInstruction instruction in _code.AsSpan())
        {
            Count(uses, instruction.Reg);
            Count(uses, instruction.Reg2);
            Count(uses, instruction.Base);
            Count(uses, instruction.Index);
        }
        uses[StackPointer] = 0;
        foreach (Register host in CacheRegisters)
        {
            int best = -1;
            for (int guest = 0; guest < 16; guest++)
            {
                if (uses[guest] >= 2 && (best < 0 || uses[guest] > uses[best]))
                {
                    best = guest;
                }
            }
            if (best < 0)
            {
                return;
            }
            _cached[best] = host;
            uses[best] = 0;
        }
    }

    private static void Count(Span<int> uses, byte register)
    {
        int full = register >= SoftwareCpu.HighByteRegister ? register - SoftwareCpu.HighByteRegister : register;
        if (full < 16)
        {
            uses[full]++;
        }
    }

    private void EmitCacheLoads()
    {
        for (int guest = 0; guest < 16; guest++)
        {
            if (_cached[guest] != Register.None)
            {
                Load(_cached[guest], guest);
            }
        }
    }

    private void EmitCacheStores()
    {
        for (int guest = 0; guest < 16; guest++)
        {
            if (_cached[guest] != Register.None)
            {
                Store(guest, _cached[guest]);
            }
        }
    }

    /// <summary>host = guest register <paramref name="guest"/> (all 64 bits).</summary>
    private void GuestLoad(Register host, int guest)
    {
        if (_cached[guest] is var cache and not Register.None)
        {
            Emit(Instruction.Create(Code.Mov_r64_rm64, host, cache));
        }
        else
        {
            Load(host, guest);
        }
    }

    /// <summary>host32 = the low 32 bits of guest register <paramref name="guest"/>, zero-extended.</summary>
    private void GuestLoad32(Register host32, int guest)
    {
        if (_cached[guest] is var cache and not Register.None)
        {
            Emit(Instruction.Create(Code.Mov_r32_rm32, host32, Sized(cache, 4)));
        }
        else
        {
            Emit(Instruction.Create(Code.Mov_r32_rm32, host32, Slot(guest)));
        }
    }

    /// <summary>Guest register <paramref name="guest"/> = host (all 64 bits).</summary>
    private void GuestStore(int guest, Register host)
    {
        if (_cached[guest] is var cache and not Register.None)
        {
            Emit(Instruction.Create(Code.Mov_r64_rm64, cache, host));
        }
        else
        {
            Store(guest, host);
        }
    }

    /// <summary>The low 16 bits of guest register <paramref name="guest"/> = host16 (the rest kept).</summary>
    private void GuestStore16(int guest, Register host16)
    {
        if (_cached[guest] is var cache and not Register.None)
        {
            Emit(Instruction.Create(Code.Mov_rm16_r16, Sized(cache, 2), host16));
        }
        else
        {
            Emit(Instruction.Create(Code.Mov_rm16_r16, Slot(guest), host16));
        }
    }
}
