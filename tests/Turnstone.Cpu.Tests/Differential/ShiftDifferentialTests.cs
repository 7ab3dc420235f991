using Iced.Intel;
using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;
using static Turnstone.Cpu.Tests.TestSupport.DifferentialHarness;

namespace Turnstone.Cpu.Tests.Differential;

/// <summary>Shifts and rotates by CL with counts 0, 1, in range and beyond the mask; SHLD/SHRD.
/// Flags the SDM leaves undefined are not compared: AF after shifts, OF unless the masked count
/// is 1, CF of SHL/SHR when the count reaches the operand size.</summary>
public sealed class ShiftDifferentialTests
{
    private const int Cases = 3000;

    private static readonly ulong[] InterestingCounts = [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255];

    private static void ShapeCount(RandomOperands random, ref RegisterState.GeneralRegisters registers)
    {
        ulong high = random.Value() & ~0xFFUL;
        registers[1] = high | (random.Next(2) == 0 ? InterestingCounts[random.Next(InterestingCounts.Length)] : (ulong)random.Next(256));
    }

    private static Func<RegisterState, ulong> ShiftFlags(string kind, int bits)
    {
        return state =>
        {
            int count = (int)(state.Registers[1] & (bits == 64 ? 63UL : 31UL));
            if (count == 0)
            {
                return ArithmeticFlags;
            }
            bool rotate = kind is "rol" or "ror" or "rcl" or "rcr";
            ulong flags = rotate ? ArithmeticFlags : ArithmeticFlags & ~Af;
            if (count != 1)
            {
                flags &= ~Of;
            }
            if (kind is "shl" or "shr" && count >= bits)
            {
                flags &= ~Cf;
            }
            return flags;
        };
    }

    public static TheoryData<DifferentialCase> ShiftCases()
    {
        var data = new TheoryData<DifferentialCase>();
        var kinds = new (string Name, Action<Assembler, AssemblerRegister64> R64, Action<Assembler, AssemblerRegister32> R32,
            Action<Assembler, AssemblerRegister16> R16, Action<Assembler, AssemblerRegister8> R8)[]
        {
            ("rol", (a, r) => a.rol(r, cl), (a, r) => a.rol(r, cl), (a, r) => a.rol(r, cl), (a, r) => a.rol(r, cl)),
            ("ror", (a, r) => a.ror(r, cl), (a, r) => a.ror(r, cl), (a, r) => a.ror(r, cl), (a, r) => a.ror(r, cl)),
            ("rcl", (a, r) => a.rcl(r, cl), (a, r) => a.rcl(r, cl), (a, r) => a.rcl(r, cl), (a, r) => a.rcl(r, cl)),
            ("rcr", (a, r) => a.rcr(r, cl), (a, r) => a.rcr(r, cl), (a, r) => a.rcr(r, cl), (a, r) => a.rcr(r, cl)),
            ("shl", (a, r) => a.shl(r, cl), (a, r) => a.shl(r, cl), (a, r) => a.shl(r, cl), (a, r) => a.shl(r, cl)),
            ("shr", (a, r) => a.shr(r, cl), (a, r) => a.shr(r, cl), (a, r) => a.shr(r, cl), (a, r) => a.shr(r, cl)),
            ("sar", (a, r) => a.sar(r, cl), (a, r) => a.sar(r, cl), (a, r) => a.sar(r, cl), (a, r) => a.sar(r, cl)),
        };
        foreach (var kind in kinds)
        {
            data.Add(new DifferentialCase($"{kind.Name} r64,cl", a => kind.R64(a, rax), ShiftFlags(kind.Name, 64)));
            data.Add(new DifferentialCase($"{kind.Name} r32,cl", a => kind.R32(a, edx), ShiftFlags(kind.Name, 32)));
            data.Add(new DifferentialCase($"{kind.Name} r16,cl", a => kind.R16(a, bx), ShiftFlags(kind.Name, 16)));
            data.Add(new DifferentialCase($"{kind.Name} r8,cl", a => kind.R8(a, ah), ShiftFlags(kind.Name, 8)));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ShiftCases))]
    public void Shifts_by_cl_match_the_host(DifferentialCase testCase) =>
        testCase.Check(Cases, TestSeed.Of(testCase.Name), ShapeCount);

    public static TheoryData<DifferentialCase> ImmediateCases()
    {
        var data = new TheoryData<DifferentialCase>();
        const ulong noAf = ArithmeticFlags & ~Af;
        data.Add(new DifferentialCase("shl r64,1", a => a.shl(rax, 1), noAf));
        data.Add(new DifferentialCase("shr r32,1", a => a.shr(ecx, 1), noAf));
        data.Add(new DifferentialCase("sar r16,1", a => a.sar(dx, 1), noAf));
        data.Add(new DifferentialCase("rol r8,1", a => a.rol(bl, 1)));
        data.Add(new DifferentialCase("rcr r64,1", a => a.rcr(rsi, 1)));
        data.Add(new DifferentialCase("shl r64,63", a => a.shl(rax, 63), noAf & ~Of));
        data.Add(new DifferentialCase("sar r32,31", a => a.sar(edi, 31), noAf & ~Of));
        data.Add(new DifferentialCase("shr r8,5", a => a.shr(r9b, 5), noAf & ~Of));
        data.Add(new DifferentialCase("ror r32,0 (masked 32)", a => a.ror(r10d, 32)));
        data.Add(new DifferentialCase("rcl r16,13", a => a.rcl(r11w, 13), ArithmeticFlags & ~Of));
        // Rotates by an immediate, which the compiled tier emits itself (the flags before them kept).
        data.Add(new DifferentialCase("ror r64,1", a => a.ror(r12, 1)));
        data.Add(new DifferentialCase("rol r64,13", a => a.rol(r13, 13), ArithmeticFlags & ~Of));
        data.Add(new DifferentialCase("ror r32,7", a => a.ror(r14d, 7), ArithmeticFlags & ~Of));
        data.Add(new DifferentialCase("rol r32,1", a => a.rol(eax, 1)));
        data.Add(new DifferentialCase("ror r16,9", a => a.ror(cx, 9), ArithmeticFlags & ~Of));
        data.Add(new DifferentialCase("rol r8,3", a => a.rol(dl, 3), ArithmeticFlags & ~Of));
        data.Add(new DifferentialCase("ror r8,1 (high byte)", a => a.ror(bh, 1)));
        data.Add(new DifferentialCase("rol r8,16 (whole turns)", a => a.rol(sil, 16), ArithmeticFlags & ~Of));
        data.Add(new DifferentialCase("rol r64,0", a => a.rol(rdi, 0)));
        // A rotate's CF/OF on top of the flags of the instruction before it, read in different ways.
        data.Add(new DifferentialCase("sub; ror r32,3; setc; seto; sets; setz", a =>
        {
            a.sub(eax, ebx);
            a.ror(ecx, 3);
            a.setb(dl);
            a.seto(dh);
            a.sets(r8b);
            a.setz(r9b);
        }, ArithmeticFlags & ~Of));
        data.Add(new DifferentialCase("add; rol r64,1; adc", a =>
        {
            a.add(rax, rbx);
            a.rol(rcx, 1);
            a.adc(rdx, rsi);
        }));
        data.Add(new DifferentialCase("dec; ror r64,17; ror r32,1; inc", a =>
        {
            a.dec(r10);
            a.ror(r11, 17);
            a.ror(r12d, 1);
            a.inc(r13);
        }));
        data.Add(new DifferentialCase("ror r64,5; xor (flags replaced)", a =>
        {
            a.ror(rax, 5);
            a.rol(rbx, 11);
            a.xor(rax, rbx);
        }, ArithmeticFlags & ~Af));
        return data;
    }

    [Theory]
    [MemberData(nameof(ImmediateCases))]
    public void Shifts_by_an_immediate_match_the_host(DifferentialCase testCase) =>
        testCase.Check(Cases, TestSeed.Of(testCase.Name));

    private static Func<RegisterState, ulong> DoubleShiftFlags(int bits) => state =>
    {
        int count = (int)(state.Registers[1] & (bits == 64 ? 63UL : 31UL));
        if (count == 0)
        {
            return ArithmeticFlags;
        }
        return count == 1 ? ArithmeticFlags & ~Af : ArithmeticFlags & ~Af & ~Of;
    };

    public static TheoryData<DifferentialCase> DoubleShiftCases() => new()
    {
        new DifferentialCase("shld r64,r64,cl", a => a.shld(rax, rbx, cl), DoubleShiftFlags(64)),
        new DifferentialCase("shrd r64,r64,cl", a => a.shrd(rax, rbx, cl), DoubleShiftFlags(64)),
        new DifferentialCase("shld r32,r32,cl", a => a.shld(edx, esi, cl), DoubleShiftFlags(32)),
        new DifferentialCase("shrd r32,r32,cl", a => a.shrd(edx, esi, cl), DoubleShiftFlags(32)),
        new DifferentialCase("shld r16,r16,cl", a => a.shld(di, r8w, cl), DoubleShiftFlags(16)),
        new DifferentialCase("shrd r16,r16,cl", a => a.shrd(di, r8w, cl), DoubleShiftFlags(16)),
        new DifferentialCase("shld r64,r64,1", a => a.shld(r9, r10, 1), ArithmeticFlags & ~Af),
        new DifferentialCase("shrd r32,r32,7", a => a.shrd(r11d, r12d, 7), ArithmeticFlags & ~Af & ~Of),
    };

    [Theory]
    [MemberData(nameof(DoubleShiftCases))]
    public void Double_shifts_match_the_host(DifferentialCase testCase)
    {
        // A 16-bit SHLD/SHRD by more than 16 is undefined: counts are kept within the operand.
        bool sixteen = testCase.Name.Contains("r16", StringComparison.Ordinal);
        testCase.Check(Cases, TestSeed.Of(testCase.Name), (RandomOperands random, ref RegisterState.GeneralRegisters registers) =>
        {
            ShapeCount(random, ref registers);
            if (sixteen && (registers[1] & 31) > 16)
            {
                registers[1] = (registers[1] & ~31UL) | (uint)random.Next(17);
            }
        });
    }
}
