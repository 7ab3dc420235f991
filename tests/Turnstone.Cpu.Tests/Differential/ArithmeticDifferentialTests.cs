using Iced.Intel;
using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;
using static Turnstone.Cpu.Tests.TestSupport.DifferentialHarness;

namespace Turnstone.Cpu.Tests.Differential;

/// <summary>ALU operations, INC/DEC/NEG/NOT and ADC/SBB carry chains: every size, register and
/// immediate forms, compared with the host CPU on random operands and flags.</summary>
public sealed class ArithmeticDifferentialTests
{
    private const int Cases = 2000;

    public static TheoryData<DifferentialCase> AluCases()
    {
        var data = new TheoryData<DifferentialCase>();
        var binary = new (string Name, Action<Assembler, AssemblerRegister64, AssemblerRegister64> R64, Action<Assembler, AssemblerRegister32, AssemblerRegister32> R32,
            Action<Assembler, AssemblerRegister16, AssemblerRegister16> R16, Action<Assembler, AssemblerRegister8, AssemblerRegister8> R8,
            Action<Assembler, AssemblerRegister64, int> I64, Action<Assembler, AssemblerRegister32, int> I32, Action<Assembler, AssemblerRegister8, int> I8)[]
        {
            ("add", (a, x, y) => a.add(x, y), (a, x, y) => a.add(x, y), (a, x, y) => a.add(x, y), (a, x, y) => a.add(x, y), (a, x, i) => a.add(x, i), (a, x, i) => a.add(x, i), (a, x, i) => a.add(x, unchecked((sbyte)i))),
            ("or", (a, x, y) => a.or(x, y), (a, x, y) => a.or(x, y), (a, x, y) => a.or(x, y), (a, x, y) => a.or(x, y), (a, x, i) => a.or(x, i), (a, x, i) => a.or(x, i), (a, x, i) => a.or(x, unchecked((sbyte)i))),
            ("adc", (a, x, y) => a.adc(x, y), (a, x, y) => a.adc(x, y), (a, x, y) => a.adc(x, y), (a, x, y) => a.adc(x, y), (a, x, i) => a.adc(x, i), (a, x, i) => a.adc(x, i), (a, x, i) => a.adc(x, unchecked((sbyte)i))),
            ("sbb", (a, x, y) => a.sbb(x, y), (a, x, y) => a.sbb(x, y), (a, x, y) => a.sbb(x, y), (a, x, y) => a.sbb(x, y), (a, x, i) => a.sbb(x, i), (a, x, i) => a.sbb(x, i), (a, x, i) => a.sbb(x, unchecked((sbyte)i))),
            ("and", (a, x, y) => a.and(x, y), (a, x, y) => a.and(x, y), (a, x, y) => a.and(x, y), (a, x, y) => a.and(x, y), (a, x, i) => a.and(x, i), (a, x, i) => a.and(x, i), (a, x, i) => a.and(x, unchecked((sbyte)i))),
            ("sub", (a, x, y) => a.sub(x, y), (a, x, y) => a.sub(x, y), (a, x, y) => a.sub(x, y), (a, x, y) => a.sub(x, y), (a, x, i) => a.sub(x, i), (a, x, i) => a.sub(x, i), (a, x, i) => a.sub(x, unchecked((sbyte)i))),
            ("xor", (a, x, y) => a.xor(x, y), (a, x, y) => a.xor(x, y), (a, x, y) => a.xor(x, y), (a, x, y) => a.xor(x, y), (a, x, i) => a.xor(x, i), (a, x, i) => a.xor(x, i), (a, x, i) => a.xor(x, unchecked((sbyte)i))),
            ("cmp", (a, x, y) => a.cmp(x, y), (a, x, y) => a.cmp(x, y), (a, x, y) => a.cmp(x, y), (a, x, y) => a.cmp(x, y), (a, x, i) => a.cmp(x, i), (a, x, i) => a.cmp(x, i), (a, x, i) => a.cmp(x, unchecked((sbyte)i))),
            ("test", (a, x, y) => a.test(x, y), (a, x, y) => a.test(x, y), (a, x, y) => a.test(x, y), (a, x, y) => a.test(x, y), (a, x, i) => a.test(x, i), (a, x, i) => a.test(x, i), (a, x, i) => a.test(x, unchecked((sbyte)i))),
        };
        // AF is undefined after AND/OR/XOR/TEST.
        foreach (var op in binary)
        {
            ulong flags = op.Name is "and" or "or" or "xor" or "test" ? ArithmeticFlags & ~Af : ArithmeticFlags;
            data.Add(new DifferentialCase($"{op.Name} r64,r64", a => op.R64(a, rax, rbx), flags));
            data.Add(new DifferentialCase($"{op.Name} r64,same", a => op.R64(a, r9, r9), flags));
            data.Add(new DifferentialCase($"{op.Name} r32,r32", a => op.R32(a, ecx, r10d), flags));
            data.Add(new DifferentialCase($"{op.Name} r16,r16", a => op.R16(a, dx, si), flags));
            data.Add(new DifferentialCase($"{op.Name} r8,r8", a => op.R8(a, bl, r11b), flags));
            data.Add(new DifferentialCase($"{op.Name} ah,ch", a => op.R8(a, ah, ch), flags));
            data.Add(new DifferentialCase($"{op.Name} r64,imm", a => op.I64(a, rsi, -0x1234567), flags));
            data.Add(new DifferentialCase($"{op.Name} r32,imm", a => op.I32(a, edi, 0x7FFF_FFF0), flags));
            data.Add(new DifferentialCase($"{op.Name} r8,imm", a => op.I8(a, dh, 0x81), flags));
        }
        // 16-bit operand size with immediates (the 66-prefixed imm16 and sign-extended imm8 forms).
        foreach (string name in (string[])["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "test"])
        {
            ulong flags = name is "and" or "or" or "xor" or "test" ? ArithmeticFlags & ~Af : ArithmeticFlags;
            data.Add(new DifferentialCase($"{name} r16,imm16", a => Alu16(a, name, bp, unchecked((short)0x8123)), flags));
            data.Add(new DifferentialCase($"{name} r16,imm8", a => Alu16(a, name, r9w, -3), flags));
        }
        data.Add(new DifferentialCase("dec r16", a => a.dec(r10w)));
        data.Add(new DifferentialCase("not r16", a => a.not(cx)));
        data.Add(new DifferentialCase("inc r64", a => a.inc(rax)));
        data.Add(new DifferentialCase("inc r32", a => a.inc(ecx)));
        data.Add(new DifferentialCase("inc r16", a => a.inc(dx)));
        data.Add(new DifferentialCase("inc r8", a => a.inc(bh)));
        data.Add(new DifferentialCase("dec r64", a => a.dec(rax)));
        data.Add(new DifferentialCase("dec r32", a => a.dec(r12d)));
        data.Add(new DifferentialCase("dec r8", a => a.dec(sil)));
        data.Add(new DifferentialCase("neg r64", a => a.neg(rax)));
        data.Add(new DifferentialCase("neg r32", a => a.neg(r13d)));
        data.Add(new DifferentialCase("neg r16", a => a.neg(bp)));
        data.Add(new DifferentialCase("neg r8", a => a.neg(al)));
        data.Add(new DifferentialCase("not r64", a => a.not(rax)));
        data.Add(new DifferentialCase("not r32", a => a.not(edx)));
        data.Add(new DifferentialCase("not r8", a => a.not(ah)));
        data.Add(new DifferentialCase("adc/sbb carry chain", a =>
        {
            a.add(rax, rbx);
            a.adc(rcx, rdx);
            a.adc(esi, edi);
            a.sbb(r8, r9);
            a.sbb(r10w, r11w);
            a.adc(r12b, r13b);
            a.sbb(r14, 5);
        }));
        data.Add(new DifferentialCase("flags through lahf/sahf, clc/stc/cmc", a =>
        {
            a.sub(rax, rbx);
            a.lahf();
            a.cmc();
            a.adc(rcx, rdx);
            a.sahf();
            a.stc();
            a.sbb(rsi, rdi);
            a.clc();
            a.adc(r8, r9);
        }));
        return data;
    }

    private static void Alu16(Assembler a, string name, AssemblerRegister16 register, short immediate)
    {
        switch (name)
        {
            case "add": a.add(register, immediate); break;
            case "or": a.or(register, immediate); break;
            case "adc": a.adc(register, immediate); break;
            case "sbb": a.sbb(register, immediate); break;
            case "and": a.and(register, immediate); break;
            case "sub": a.sub(register, immediate); break;
            case "xor": a.xor(register, immediate); break;
            case "cmp": a.cmp(register, immediate); break;
            default: a.test(register, immediate); break;
        }
    }

    [Theory]
    [MemberData(nameof(AluCases))]
    public void Alu_matches_the_host(DifferentialCase testCase) => testCase.Check(Cases, TestSeed.Of(testCase.Name));
}
