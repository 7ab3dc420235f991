using Iced.Intel;
using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;
using static Turnstone.Cpu.Tests.TestSupport.DifferentialHarness;

namespace Turnstone.Cpu.Tests.Differential;

/// <summary>MOVZX/MOVSX/MOVSXD, LEA, the accumulator extensions, XCHG/XADD/CMPXCHG, CMOVcc and SETcc
/// (after a CMP, so every condition meets both outcomes).</summary>
public sealed class DataMovementDifferentialTests
{
    private const int Cases = 1500;

    public static TheoryData<DifferentialCase> MoveCases() => new()
    {
        new DifferentialCase("movzx r64,r8", a => a.movzx(rax, bl)),
        new DifferentialCase("movzx r32,r16", a => a.movzx(ecx, dx)),
        new DifferentialCase("movzx r16,ah", a => a.movzx(si, ah)),
        new DifferentialCase("movsx r64,r8", a => a.movsx(rdi, r8b)),
        new DifferentialCase("movsx r32,r16", a => a.movsx(r9d, r10w)),
        new DifferentialCase("movsxd r64,r32", a => a.movsxd(r11, r12d)),
        new DifferentialCase("mov r32,r32 (zero-extends)", a => a.mov(r13d, r14d)),
        new DifferentialCase("mov r16/r8 (merge)", a => { a.mov(r15w, ax); a.mov(bh, cl); a.mov(dl, sil); }),
        new DifferentialCase("lea r64,[b+i*8+d]", a => a.lea(rax, __[rbx + rcx * 8 - 0x1234])),
        new DifferentialCase("lea r32,[b+i*2+d]", a => a.lea(edx, __[rsi + rdi * 2 + 0x7fff_0000])),
        new DifferentialCase("lea r64,[e32]", a => a.lea(r8, __[r9d + r10d * 4 + 5])),
        new DifferentialCase("cbw cwde cdqe", a => { a.cbw(); a.mov(rbx, rax); a.cwde(); a.mov(rcx, rax); a.cdqe(); }),
        new DifferentialCase("cwd cdq cqo", a => { a.cwd(); a.mov(rbx, rdx); a.cdq(); a.mov(rcx, rdx); a.cqo(); }),
        new DifferentialCase("xchg", a => { a.xchg(rax, rbx); a.xchg(ecx, edx); a.xchg(si, di); a.xchg(ah, bl); }),
        new DifferentialCase("xadd r64", a => a.xadd(rax, rbx)),
        new DifferentialCase("xadd r32 same", a => a.xadd(ecx, ecx)),
        new DifferentialCase("xadd r8", a => a.xadd(dl, dh)),
        new DifferentialCase("cmpxchg r64", a => { a.cmp(rax, rbx); a.cmovb(rax, rbx); a.cmpxchg(rbx, rcx); }),
        new DifferentialCase("cmpxchg r32", a => { a.test(edx, 1); a.cmovz(eax, edx); a.cmpxchg(edx, esi); }),
        new DifferentialCase("cmpxchg r32 unequal", a => a.cmpxchg(edi, r8d)),
        new DifferentialCase("cmpxchg r16", a => a.cmpxchg(r9w, r10w)),
        new DifferentialCase("cmpxchg r8", a => { a.mov(al, r11b); a.cmpxchg(r11b, r12b); }),
    };

    [Theory]
    [MemberData(nameof(MoveCases))]
    public void Moves_match_the_host(DifferentialCase testCase) =>
        testCase.Check(Cases, TestSeed.Of(testCase.Name));

    public static TheoryData<DifferentialCase> ConditionCases()
    {
        var conditions = new (string Name, Action<Assembler> Set, Action<Assembler> Cmov32, Action<Assembler> Cmov64)[]
        {
            ("o", a => a.seto(al), a => a.cmovo(ecx, edx), a => a.cmovo(rsi, rdi)),
            ("no", a => a.setno(al), a => a.cmovno(ecx, edx), a => a.cmovno(rsi, rdi)),
            ("b", a => a.setb(al), a => a.cmovb(ecx, edx), a => a.cmovb(rsi, rdi)),
            ("ae", a => a.setae(al), a => a.cmovae(ecx, edx), a => a.cmovae(rsi, rdi)),
            ("e", a => a.sete(al), a => a.cmove(ecx, edx), a => a.cmove(rsi, rdi)),
            ("ne", a => a.setne(al), a => a.cmovne(ecx, edx), a => a.cmovne(rsi, rdi)),
            ("be", a => a.setbe(al), a => a.cmovbe(ecx, edx), a => a.cmovbe(rsi, rdi)),
            ("a", a => a.seta(al), a => a.cmova(ecx, edx), a => a.cmova(rsi, rdi)),
            ("s", a => a.sets(al), a => a.cmovs(ecx, edx), a => a.cmovs(rsi, rdi)),
            ("ns", a => a.setns(al), a => a.cmovns(ecx, edx), a => a.cmovns(rsi, rdi)),
            ("p", a => a.setp(al), a => a.cmovp(ecx, edx), a => a.cmovp(rsi, rdi)),
            ("np", a => a.setnp(al), a => a.cmovnp(ecx, edx), a => a.cmovnp(rsi, rdi)),
            ("l", a => a.setl(al), a => a.cmovl(ecx, edx), a => a.cmovl(rsi, rdi)),
            ("ge", a => a.setge(al), a => a.cmovge(ecx, edx), a => a.cmovge(rsi, rdi)),
            ("le", a => a.setle(al), a => a.cmovle(ecx, edx), a => a.cmovle(rsi, rdi)),
            ("g", a => a.setg(al), a => a.cmovg(ecx, edx), a => a.cmovg(rsi, rdi)),
        };
        var data = new TheoryData<DifferentialCase>();
        foreach (var condition in conditions)
        {
            data.Add(new DifferentialCase($"cmp; set{condition.Name}; cmov{condition.Name}", a =>
            {
                a.cmp(r8, r9);
                condition.Set(a);
                condition.Cmov32(a);
                condition.Cmov64(a);
                a.sub(r10d, r11d);
                condition.Set(a);
                a.adc(r12b, r13b);
                condition.Cmov32(a);
                a.inc(r14w);
                condition.Cmov64(a);
            }));
        }
        return data;
    }

    /// <summary>Each condition after each kind of flag-setting instruction within one block (TEST,
    /// AND, SHR/SHL by 1, NEG, DEC, SBB, XOR): the compiled tier evaluates most of them from the
    /// operands it keeps, not from the lazy-flag fields.</summary>
    public static TheoryData<DifferentialCase> ProducerConditionCases()
    {
        var data = new TheoryData<DifferentialCase>();
        foreach (string name in new[] { "o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g" })
        {
            data.Add(new DifferentialCase($"producers; set{name}/cmov{name}", a =>
            {
                a.test(r8d, r9d);
                EmitSet(a, name);
                a.lea(rbp, __[rbp + rax * 2]);
                a.and(r10, r11);
                EmitCmov(a, name);
                a.shr(r12, 1);
                EmitSet(a, name);
                a.lea(rbp, __[rbp + rax * 2]);
                a.shl(r11d, 1);
                EmitCmov(a, name);
                a.neg(r13w);
                EmitSet(a, name);
                a.lea(rbp, __[rbp + rax * 2]);
                a.dec(r14b);
                EmitCmov(a, name);
                a.sbb(r15, rbx);
                EmitSet(a, name);
                a.lea(rbp, __[rbp + rax * 2]);
                a.xor(ebx, r9d);
                EmitCmov(a, name);
                a.add(r9, r10);
            }));
        }
        return data;
    }

    private static void EmitSet(Assembler a, string condition) =>
        typeof(Assembler).GetMethod("set" + condition, [typeof(AssemblerRegister8)])!.Invoke(a, [al]);

    private static void EmitCmov(Assembler a, string condition) =>
        typeof(Assembler).GetMethod("cmov" + condition, [typeof(AssemblerRegister64), typeof(AssemblerRegister64)])!.Invoke(a, [rsi, rdi]);

    [Theory]
    [MemberData(nameof(ProducerConditionCases))]
    public void Conditions_after_each_flag_producer_match_the_host(DifferentialCase testCase) =>
        testCase.Check(Cases, TestSeed.Of(testCase.Name));

    [Theory]
    [MemberData(nameof(ConditionCases))]
    public void Conditions_match_the_host(DifferentialCase testCase) =>
        testCase.Check(Cases, TestSeed.Of(testCase.Name), (Turnstone.Cpu.Tests.TestSupport.RandomOperands random, ref Turnstone.Cpu.Tests.TestSupport.RegisterState.GeneralRegisters registers) =>
        {
            if (random.Next(3) == 0)
            {
                registers[9] = registers[8];
            }
        });
}
