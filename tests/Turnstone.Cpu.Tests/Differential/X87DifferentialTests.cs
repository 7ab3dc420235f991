using Iced.Intel;
using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.Differential;

/// <summary>
/// x87 instructions against the host CPU, 80-bit extended precision included: random stacks
/// (any TOP, some registers empty for stack underflow, unnormals, pseudo-denormals, NaNs),
/// every precision and rounding control, memory operands of 16 to 80 bits. Compared are the
/// control, status and tag words, the eight physical registers, the flags (FCOMI), the general
/// registers (FNSTSW AX) and memory.
/// </summary>
public sealed class X87DifferentialTests
{
    private const int Cases = 600;

    public sealed record Case(string Name, Action<Assembler> Sequence, (int Start, int End)[]? IgnoredMemory = null)
    {
        public override string ToString() => Name;
    }

    private static Case C(string name, Action<Assembler> sequence) => new(name, sequence);

    /// <summary>The environment's instruction and operand pointers, selectors and opcode: AMD
    /// hosts store them only with an exception pending, the engine stores the guest's.</summary>
    private static readonly (int, int)[] EnvironmentPointers = [(12, 28)];

    public static TheoryData<Case> LoadsAndStores() => new()
    {
        C("fld m32", a => a.fld(__dword_ptr[rdi + 4])), C("fld m64", a => a.fld(__qword_ptr[rdi + 8])), C("fld m80", a => a.fld(__tword_ptr[rdi])),
        C("fld st(3)", a => a.fld(st3)), C("fst m32", a => a.fst(__dword_ptr[rdi + 4])), C("fst m64", a => a.fst(__qword_ptr[rdi + 16])),
        C("fstp m80", a => a.fstp(__tword_ptr[rdi + 20])), C("fstp m64", a => a.fstp(__qword_ptr[rdi + 8])), C("fstp st(2)", a => a.fstp(st2)),
        C("fild m16", a => a.fild(__word_ptr[rdi + 2])), C("fild m32", a => a.fild(__dword_ptr[rdi + 4])), C("fild m64", a => a.fild(__qword_ptr[rdi + 8])),
        C("fist m16", a => a.fist(__word_ptr[rdi + 2])), C("fist m32", a => a.fist(__dword_ptr[rdi + 4])), C("fistp m64", a => a.fistp(__qword_ptr[rdi + 8])),
        C("fistp m16", a => a.fistp(__word_ptr[rdi + 6])), C("fisttp m32", a => a.fisttp(__dword_ptr[rdi + 4])), C("fisttp m64", a => a.fisttp(__qword_ptr[rdi + 8])),
        C("fld1", a => a.fld1()), C("fldz", a => a.fldz()), C("fldpi", a => a.fldpi()), C("fldl2e", a => a.fldl2e()), C("fldln2", a => a.fldln2()),
        C("fldl2t", a => a.fldl2t()), C("fldlg2", a => a.fldlg2()), C("fxch", a => a.fxch(st0, st5)), C("ffree", a => a.ffree(st1)),
        C("fincstp", a => a.fincstp()), C("fdecstp", a => a.fdecstp()), C("fbstp", a => a.fbstp(__tword_ptr[rdi + 16])), C("fbld", a => a.fbld(__tword_ptr[rdi])),
    };

    public static TheoryData<Case> Arithmetic() => new()
    {
        C("fadd st0 st1", a => a.fadd(st0, st1)), C("fadd st3 st0", a => a.fadd(st3, st0)), C("faddp", a => a.faddp(st1, st0)), C("fadd m64", a => a.fadd(__qword_ptr[rdi + 8])),
        C("fsub st0 st2", a => a.fsub(st0, st2)), C("fsubr st0 st2", a => a.fsubr(st0, st2)), C("fsubp", a => a.fsubp(st4, st0)), C("fsubrp", a => a.fsubrp(st1, st0)),
        C("fsub m32", a => a.fsub(__dword_ptr[rdi + 4])), C("fsubr m64", a => a.fsubr(__qword_ptr[rdi])),
        C("fmul st0 st1", a => a.fmul(st0, st1)), C("fmulp", a => a.fmulp(st2, st0)), C("fmul m32", a => a.fmul(__dword_ptr[rdi])),
        C("fdiv st0 st1", a => a.fdiv(st0, st1)), C("fdivr st0 st1", a => a.fdivr(st0, st1)), C("fdivp", a => a.fdivp(st1, st0)), C("fdivrp", a => a.fdivrp(st3, st0)),
        C("fdiv m64", a => a.fdiv(__qword_ptr[rdi + 8])), C("fidiv m32", a => a.fidiv(__dword_ptr[rdi + 4])), C("fiadd m16", a => a.fiadd(__word_ptr[rdi])),
        C("fimul m32", a => a.fimul(__dword_ptr[rdi])), C("fisub m16", a => a.fisub(__word_ptr[rdi + 2])),
        C("fchs", a => a.fchs()), C("fabs", a => a.fabs()), C("fsqrt", a => a.fsqrt()), C("frndint", a => a.frndint()),
        C("fprem", a => a.fprem()), C("fprem1", a => a.fprem1()), C("fscale", a => a.fscale()), C("fxtract", a => a.fxtract()),
        C("f2xm1", a => a.f2xm1()), C("fyl2x", a => a.fyl2x()), C("fpatan", a => a.fpatan()), C("fsin", a => a.fsin()), C("fptan", a => a.fptan()),
    };

    public static TheoryData<Case> Compares() => new()
    {
        C("fcom", a => a.fcom(st0, st1)), C("fcomp", a => a.fcomp(st0, st2)), C("fcompp", a => a.fcompp()), C("fucom", a => a.fucom(st0, st1)), C("fucompp", a => a.fucompp()),
        C("fcom m64", a => a.fcom(__qword_ptr[rdi + 8])), C("ficom m32", a => a.ficom(__dword_ptr[rdi + 4])),
        C("fcomi", a => a.fcomi(st0, st1)), C("fcomip", a => a.fcomip(st0, st3)), C("fucomi", a => a.fucomi(st0, st2)), C("fucomip", a => a.fucomip(st0, st1)),
        C("ftst", a => a.ftst()), C("fxam", a => a.fxam()),
        C("fcmovb", a => a.fcmovb(st0, st1)), C("fcmove", a => a.fcmove(st0, st2)), C("fcmovbe", a => a.fcmovbe(st0, st3)), C("fcmovu", a => a.fcmovu(st0, st1)),
        C("fcmovnb", a => a.fcmovnb(st0, st1)), C("fcmovne", a => a.fcmovne(st0, st2)), C("fcmovnbe", a => a.fcmovnbe(st0, st3)), C("fcmovnu", a => a.fcmovnu(st0, st1)),
        C("fucomi then fnstsw ax", a => { a.fucom(st0, st1); a.fnstsw(ax); }),
    };

    public static TheoryData<Case> Control() => new()
    {
        C("fninit", a => a.fninit()), C("fnclex", a => a.fnclex()), C("fnstsw ax", a => a.fnstsw(ax)), C("fnstsw m16", a => a.fnstsw(__word_ptr[rdi + 2])),
        C("fnstcw", a => a.fnstcw(__word_ptr[rdi + 6])), C("fwait", a => a.wait()),
        C("fldcw masked", a => { a.or(__word_ptr[rdi], 0x3F); a.fldcw(__word_ptr[rdi]); a.fnstcw(__word_ptr[rdi + 8]); }),
        C("fldcw then arithmetic", a => { a.or(__word_ptr[rdi + 2], 0x3F); a.fldcw(__word_ptr[rdi + 2]); a.fadd(st0, st1); a.fstp(__qword_ptr[rdi + 16]); }),
        C("long double sequence", a => { a.fld(__tword_ptr[rdi]); a.fild(__qword_ptr[rdi + 16]); a.fmulp(st1, st0); a.fld1(); a.faddp(st1, st0); a.fsqrt(); a.fstp(__tword_ptr[rdi + 32]); }),
        new("fnstenv", a => { a.fadd(st0, st1); a.fnstenv(__[rdi]); a.fnstcw(__word_ptr[rdi + 32]); }, EnvironmentPointers),
        new("fnsave", a => { a.fmul(st0, st2); a.fnsave(__[rdi]); }, EnvironmentPointers),
        C("fldenv", a => { a.or(__word_ptr[rdi], 0x3F); a.and(__word_ptr[rdi + 4], 0x7F7F); a.fldenv(__[rdi]); }),
        C("frstor", a => { a.or(__word_ptr[rdi], 0x3F); a.and(__word_ptr[rdi + 4], 0x7F7F); a.frstor(__[rdi]); }),
        new("fnsave then frstor", a => { a.fnsave(__[rdi]); a.fld1(); a.frstor(__[rdi]); a.fnstenv(__[rdi + 16]); }, [(12, 44)]),
        C("ldmxcsr stmxcsr", a => { a.and(__dword_ptr[rdi + 4], 0xFFFF); a.or(__dword_ptr[rdi + 4], 0x1F80); a.ldmxcsr(__dword_ptr[rdi + 4]); a.addsd(xmm0, xmm1); a.stmxcsr(__dword_ptr[rdi + 12]); }),
    };

    /// <summary>Unmasked exceptions: the faulting instruction leaves them pending (FSW.ES and B),
    /// with the operands unchanged (invalid, zero divide, denormal) or biased results (overflow,
    /// underflow), exactly as the host does.</summary>
    public static TheoryData<Case> UnmaskedExceptions() => new()
    {
        C("fdiv unmasked", a => a.fdiv(st0, st1)), C("fdivp unmasked", a => a.fdivp(st1, st0)), C("fsqrt unmasked", a => a.fsqrt()),
        C("fmul unmasked", a => a.fmul(st0, st1)), C("fadd m32 unmasked", a => a.fadd(__dword_ptr[rdi + 4])), C("fld m32 unmasked", a => a.fld(__dword_ptr[rdi])),
        C("fst m32 unmasked", a => a.fst(__dword_ptr[rdi + 4])), C("fstp m64 unmasked", a => a.fstp(__qword_ptr[rdi + 8])),
        C("fistp m16 unmasked", a => a.fistp(__word_ptr[rdi + 2])), C("fcom unmasked", a => a.fcom(st0, st1)), C("fscale unmasked", a => a.fscale()),
        C("fxch unmasked", a => a.fxch(st0, st3)), C("fld1 unmasked", a => a.fld1()),
    };

    private static void Run(Case testCase, bool unmasked = false)
    {
        using var harness = new FloatDifferentialHarness(testCase.Sequence);
        var random = new FloatOperands(TestSeed.Of(testCase.Name));
        for (int i = 0; i < Cases; i++)
        {
            var state = random.State();
            if (unmasked)
            {
                state.Image[0] = (byte)((state.Image[0] & ~0x3F) | random.Next(0x40)); // FCW: random exception masks
                state.Image[2] &= 0xC0; // FSW: no exception flags raised yet
            }
            harness.Compare(state, ignoredMemory: testCase.IgnoredMemory);
        }
    }

    [Theory]
    [MemberData(nameof(UnmaskedExceptions))]
    public void Unmasked_exceptions_are_left_pending_as_on_the_host(Case testCase) => Run(testCase, unmasked: true);

    [Theory]
    [MemberData(nameof(LoadsAndStores))]
    public void Loads_and_stores_match_the_host(Case testCase) => Run(testCase);

    [Theory]
    [MemberData(nameof(Arithmetic))]
    public void Arithmetic_matches_the_host_in_80_bits(Case testCase) => Run(testCase);

    [Theory]
    [MemberData(nameof(Compares))]
    public void Compares_and_conditional_moves_match_the_host(Case testCase) => Run(testCase);

    [Theory]
    [MemberData(nameof(Control))]
    public void Control_instructions_match_the_host(Case testCase) => Run(testCase);
}
