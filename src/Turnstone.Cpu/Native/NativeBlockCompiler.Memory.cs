using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;
using static Turnstone.Cpu.Native.NativeState;

namespace Turnstone.Cpu.Native;

// Guest memory from host code: the linear address computed with MOV and LEA (which keep RFLAGS),
// then the software TLB looked up inline exactly as SoftwareCpu.TryReadIn does; a miss, or an
// access that would cross the page end, stops the block before the instruction.
internal sealed partial class NativeBlockCompiler
{
    private const int TlbEntryBytes = 32, TlbEntryHostOffset = 8;

    /// <summary>Whether the operand's address fits the forms below (a 32-bit displacement).</summary>
    private static bool IsAddressable(in Instruction instruction) =>
        (instruction.IsIPRelativeMemoryOperand ? (long)instruction.IPRelativeMemoryAddress : (long)instruction.MemoryDisplacement64) is >= int.MinValue and <= int.MaxValue;

    /// <summary>RSI = the memory operand's linear address; only MOV and LEA, so RFLAGS is untouched. RDI is used.</summary>
    private void EmitLinearAddress(in Instruction instruction)
    {
        long displacement;
        if (instruction.IsIPRelativeMemoryOperand)
        {
            _a.mov(rsi, __qword_ptr[rbx + BlockRip * 8]);
            displacement = (long)instruction.IPRelativeMemoryAddress;
        }
        else
        {
            displacement = (long)instruction.MemoryDisplacement64;
            if (instruction.MemoryBase == Register.None)
            {
                _a.mov(esi, 0);
            }
            else
            {
                _a.mov(rsi, __qword_ptr[rbx + (instruction.MemoryBase - Register.RAX) * 8]);
            }
        }
        if (instruction.MemoryIndex != Register.None)
        {
            _a.mov(rdi, __qword_ptr[rbx + (instruction.MemoryIndex - Register.RAX) * 8]);
            _a.lea(rsi, __[rsi + rdi * instruction.MemoryIndexScale + displacement]);
        }
        else if (displacement != 0)
        {
            _a.lea(rsi, __[rsi + displacement]);
        }
        if (instruction.MemorySegment is Register.FS or Register.GS)
        {
            int slot = instruction.MemorySegment == Register.FS ? (int)SegmentName.Fs : (int)SegmentName.Gs;
            _a.mov(rdi, __qword_ptr[rbx + SegmentBases * 8]);
            _a.mov(rdi, __qword_ptr[rdi + slot * 8]);
            _a.lea(rsi, __[rsi + rdi]);
        }
    }

    /// <summary>R11 = the host address of the memory operand's <paramref name="size"/> bytes, through the
    /// read or write TLB set; saves the guest's flags first, as the look-up's compares clobber RFLAGS.</summary>
    private bool EmitHostAddress(ref Instruction instruction, bool write, int size, int index)
    {
        if (!IsAddressable(instruction) || size is < 1 or > 8)
        {
            return false;
        }
        SaveFlags();
        EmitLinearAddress(instruction);
        EmitTlbLookup(write, size, index);
        return true;
    }

    /// <summary>R11 = host address of the <paramref name="size"/> bytes at linear RSI; RSI and RDI are used.</summary>
    private void EmitTlbLookup(bool write, int size, int index)
    {
        Label miss = ExitStub(index, resume: true, nextRip: null);
        _a.mov(rdi, rsi);
        _a.shr(rdi, 12);
        _a.and(rdi, __qword_ptr[rbx + TlbMask * 8]);
        _a.shl(rdi, 5); // TlbEntryBytes
        _a.add(rdi, __qword_ptr[rbx + (write ? WriteTlb : ReadTlb) * 8]);
        _a.mov(r11, rsi);
        _a.and(r11, -4096);
        _a.cmp(r11, __qword_ptr[rdi]);
        _a.jne(miss);
        if (size > 1)
        {
            _a.mov(r11d, esi);
            _a.and(r11d, 0xFFF);
            _a.cmp(r11d, 4096 - size);
            _a.ja(miss);
        }
        _a.mov(r11, __qword_ptr[rdi + TlbEntryHostOffset]);
        _a.and(esi, 0xFFF);
        _a.add(r11, rsi);
    }

    /// <summary>LEA computes its address as the guest would, into the destination at its size.</summary>
    private bool EmitLea(ref Instruction instruction)
    {
        if (!IsAddressable(instruction) || instruction.Op0Kind != OpKind.Register || !instruction.Op0Register.IsGPR()
            || instruction.MemoryBase is not (Register.None or Register.RIP) && !instruction.MemoryBase.IsGPR64()
            || instruction.MemoryIndex != Register.None && !instruction.MemoryIndex.IsGPR64()
            || instruction.Op0Register is >= Register.AH and <= Register.BH)
        {
            return false;
        }
        EmitLinearAddress(instruction with { SegmentPrefix = Register.None });
        int slot = (instruction.Op0Register.GetFullRegister() - Register.RAX) * 8;
        switch (instruction.Op0Register.GetSize())
        {
            case 8:
                _a.mov(__qword_ptr[rbx + slot], rsi);
                break;
            case 4:
                _a.mov(esi, esi);
                _a.mov(__qword_ptr[rbx + slot], rsi);
                break;
            default:
                _a.mov(__word_ptr[rbx + slot], si);
                break;
        }
        return true;
    }
}
