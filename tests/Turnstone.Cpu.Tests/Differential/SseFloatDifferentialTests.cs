using Iced.Intel;
using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.Differential;

/// <summary>
/// SSE/SSE2 floating-point and integer instructions against the host CPU: random XMM registers
/// (NaNs, infinities, denormals, signed zeros, conversion edges), every MXCSR rounding mode with
/// DAZ and FTZ, memory operands at RDI and general-register operands; compared are XMM0-15, MXCSR
/// (the exception flags), the general registers, the flags and memory.
/// </summary>
public sealed class SseFloatDifferentialTests
{
    private const int Cases = 400;

    public sealed record Case(string Name, Action<Assembler> Sequence)
    {
        public override string ToString() => Name;
    }

    private static Case C(string name, Action<Assembler> sequence) => new(name, sequence);

    public static TheoryData<Case> Arithmetic() => new()
    {
        C("addss", a => a.addss(xmm0, xmm1)), C("addsd", a => a.addsd(xmm0, xmm1)), C("addps", a => a.addps(xmm0, xmm1)), C("addpd", a => a.addpd(xmm0, xmm1)),
        C("subss", a => a.subss(xmm2, xmm3)), C("subsd", a => a.subsd(xmm2, xmm3)), C("subps", a => a.subps(xmm2, xmm3)), C("subpd", a => a.subpd(xmm2, xmm3)),
        C("mulss", a => a.mulss(xmm0, xmm1)), C("mulsd", a => a.mulsd(xmm0, xmm1)), C("mulps", a => a.mulps(xmm0, xmm1)), C("mulpd", a => a.mulpd(xmm0, xmm1)),
        C("divss", a => a.divss(xmm0, xmm1)), C("divsd", a => a.divsd(xmm9, xmm15)), C("divps", a => a.divps(xmm0, xmm1)), C("divpd", a => a.divpd(xmm0, xmm1)),
        C("sqrtss", a => a.sqrtss(xmm0, xmm1)), C("sqrtsd", a => a.sqrtsd(xmm0, xmm1)), C("sqrtps", a => a.sqrtps(xmm0, xmm1)), C("sqrtpd", a => a.sqrtpd(xmm0, xmm1)),
        C("minss", a => a.minss(xmm0, xmm1)), C("minsd", a => a.minsd(xmm0, xmm1)), C("minps", a => a.minps(xmm0, xmm1)), C("minpd", a => a.minpd(xmm0, xmm1)),
        C("maxss", a => a.maxss(xmm0, xmm1)), C("maxsd", a => a.maxsd(xmm0, xmm1)), C("maxps", a => a.maxps(xmm0, xmm1)), C("maxpd", a => a.maxpd(xmm0, xmm1)),
        C("addsd m64", a => a.addsd(xmm4, __qword_ptr[rdi + 8])), C("mulss m32", a => a.mulss(xmm4, __dword_ptr[rdi + 4])),
        C("divpd m128", a => a.divpd(xmm4, __xmmword_ptr[rdi + 16])), C("sqrtsd m64", a => a.sqrtsd(xmm4, __qword_ptr[rdi])),
        C("addsd same register", a => a.addsd(xmm5, xmm5)),
        C("cmpps lt", a => a.cmpps(xmm0, xmm1, 1)), C("cmppd unord", a => a.cmppd(xmm0, xmm1, 3)), C("cmpsd neq", a => a.cmpsd(xmm0, xmm1, 4)),
        C("cmpss nle", a => a.cmpss(xmm0, xmm1, 6)), C("cmpsd eq m64", a => a.cmpsd(xmm0, __qword_ptr[rdi], 0)), C("cmpps ord", a => a.cmpps(xmm0, xmm1, 7)),
        C("rcpps", a => a.rcpps(xmm0, xmm1)), C("rsqrtss", a => a.rsqrtss(xmm0, xmm1)),
    };

    public static TheoryData<Case> CompareAndConvert() => new()
    {
        C("comisd", a => a.comisd(xmm0, xmm1)), C("ucomisd", a => a.ucomisd(xmm0, xmm1)), C("comiss", a => a.comiss(xmm0, xmm1)),
        C("ucomiss m32", a => a.ucomiss(xmm0, __dword_ptr[rdi])), C("ucomisd m64", a => a.ucomisd(xmm2, __qword_ptr[rdi + 8])),
        C("cvtsi2sd r64", a => a.cvtsi2sd(xmm0, rax)), C("cvtsi2sd r32", a => a.cvtsi2sd(xmm0, ebx)), C("cvtsi2ss r64", a => a.cvtsi2ss(xmm0, rcx)),
        C("cvtsi2ss r32", a => a.cvtsi2ss(xmm7, edx)), C("cvtsi2sd m64", a => a.cvtsi2sd(xmm0, __qword_ptr[rdi])), C("cvtsi2sd m32", a => a.cvtsi2sd(xmm0, __dword_ptr[rdi])),
        C("cvttsd2si r64", a => a.cvttsd2si(rax, xmm0)), C("cvttsd2si r32", a => a.cvttsd2si(r8d, xmm1)), C("cvtsd2si r64", a => a.cvtsd2si(rsi, xmm0)),
        C("cvtsd2si r32", a => a.cvtsd2si(eax, xmm2)), C("cvttss2si r64", a => a.cvttss2si(rax, xmm0)), C("cvttss2si r32", a => a.cvttss2si(ebx, xmm0)),
        C("cvtss2si r32", a => a.cvtss2si(ecx, xmm3)), C("cvttsd2si m64", a => a.cvttsd2si(rax, __qword_ptr[rdi + 8])),
        C("cvtsd2ss", a => a.cvtsd2ss(xmm0, xmm1)), C("cvtss2sd", a => a.cvtss2sd(xmm0, xmm1)), C("cvtdq2pd", a => a.cvtdq2pd(xmm0, xmm1)),
        C("cvtdq2ps", a => a.cvtdq2ps(xmm0, xmm1)), C("cvtps2dq", a => a.cvtps2dq(xmm0, xmm1)), C("cvttps2dq", a => a.cvttps2dq(xmm0, xmm1)),
        C("cvtpd2dq", a => a.cvtpd2dq(xmm0, xmm1)), C("cvttpd2dq", a => a.cvttpd2dq(xmm0, xmm1)), C("cvtps2pd", a => a.cvtps2pd(xmm0, xmm1)),
        C("cvtpd2ps", a => a.cvtpd2ps(xmm0, xmm1)), C("cvtss2sd m32", a => a.cvtss2sd(xmm0, __dword_ptr[rdi + 12])),
    };

    public static TheoryData<Case> Moves() => new()
    {
        C("movss reg", a => a.movss(xmm0, xmm1)), C("movsd reg", a => a.movsd(xmm0, xmm1)), C("movss load", a => a.movss(xmm0, __dword_ptr[rdi + 4])),
        C("movsd load", a => a.movsd(xmm0, __qword_ptr[rdi + 8])), C("movss store", a => a.movss(__dword_ptr[rdi + 4], xmm3)), C("movsd store", a => a.movsd(__qword_ptr[rdi + 40], xmm3)),
        C("movd xmm r32", a => a.movd(xmm0, eax)), C("movq xmm r64", a => a.movq(xmm0, rbx)), C("movd r32 xmm", a => a.movd(ecx, xmm1)),
        C("movq r64 xmm", a => a.movq(rdx, xmm1)), C("movd load", a => a.movd(xmm2, __dword_ptr[rdi + 8])), C("movq load", a => a.movq(xmm2, __qword_ptr[rdi + 8])),
        C("movq store", a => a.movq(__qword_ptr[rdi + 16], xmm2)), C("movd store", a => a.movd(__dword_ptr[rdi + 20], xmm2)), C("movq xmm xmm", a => a.movq(xmm0, xmm1)),
        C("movhps load", a => a.movhps(xmm0, __qword_ptr[rdi])), C("movlps load", a => a.movlps(xmm0, __qword_ptr[rdi + 8])), C("movhpd store", a => a.movhpd(__qword_ptr[rdi + 24], xmm1)),
        C("movlpd load", a => a.movlpd(xmm0, __qword_ptr[rdi])), C("movhlps", a => a.movhlps(xmm0, xmm1)), C("movlhps", a => a.movlhps(xmm0, xmm1)),
        C("movmskps", a => a.movmskps(eax, xmm1)), C("movmskpd", a => a.movmskpd(r9d, xmm1)), C("pmovmskb", a => a.pmovmskb(eax, xmm3)),
        C("movntdq", a => a.movntdq(__xmmword_ptr[rdi + 32], xmm1)), C("movnti", a => a.movnti(__qword_ptr[rdi + 8], rax)), C("movntpd", a => a.movntpd(__xmmword_ptr[rdi], xmm6)),
        C("movapd load", a => a.movapd(xmm0, __xmmword_ptr[rdi + 16])), C("movups store", a => a.movups(__xmmword_ptr[rdi + 3], xmm6)),
        C("pextrw", a => a.pextrw(eax, xmm1, 5)), C("pinsrw r32", a => a.pinsrw(xmm1, ebx, 3)), C("pinsrw m16", a => a.pinsrw(xmm1, __word_ptr[rdi + 2], 7)),
        C("stmxcsr", a => a.stmxcsr(__dword_ptr[rdi + 4])), C("maskmovdqu", a => a.maskmovdqu(xmm1, xmm2)),
    };

    public static TheoryData<Case> Shuffles() => new()
    {
        C("shufps", a => a.shufps(xmm0, xmm1, 0x1B)), C("shufpd", a => a.shufpd(xmm0, xmm1, 1)), C("pshufd", a => a.pshufd(xmm0, xmm1, 0x4E)),
        C("pshuflw", a => a.pshuflw(xmm0, xmm1, 0x1B)), C("pshufhw", a => a.pshufhw(xmm0, xmm1, 0xB1)), C("pshufd m128", a => a.pshufd(xmm0, __xmmword_ptr[rdi], 0x93)),
        C("unpcklps", a => a.unpcklps(xmm0, xmm1)), C("unpckhps", a => a.unpckhps(xmm0, xmm1)), C("unpcklpd", a => a.unpcklpd(xmm0, xmm1)), C("unpckhpd", a => a.unpckhpd(xmm0, xmm1)),
        C("punpcklbw", a => a.punpcklbw(xmm0, xmm1)), C("punpckhbw", a => a.punpckhbw(xmm0, xmm1)), C("punpcklwd", a => a.punpcklwd(xmm0, xmm1)), C("punpckhwd", a => a.punpckhwd(xmm0, xmm1)),
        C("punpckldq", a => a.punpckldq(xmm0, xmm1)), C("punpckhdq", a => a.punpckhdq(xmm0, xmm1)), C("punpcklqdq", a => a.punpcklqdq(xmm0, xmm1)), C("punpckhqdq", a => a.punpckhqdq(xmm0, xmm1)),
        C("psrldq", a => a.psrldq(xmm0, 5)), C("pslldq", a => a.pslldq(xmm0, 11)), C("psrldq 16", a => a.psrldq(xmm0, 16)),
        C("packuswb", a => a.packuswb(xmm0, xmm1)), C("packsswb", a => a.packsswb(xmm0, xmm1)), C("packssdw", a => a.packssdw(xmm0, xmm1)),
        C("andpd", a => a.andpd(xmm0, xmm1)), C("andnps", a => a.andnps(xmm0, xmm1)), C("xorpd m128", a => a.xorpd(xmm0, __xmmword_ptr[rdi + 32])),
    };

    public static TheoryData<Case> PackedInteger() => new()
    {
        C("pmullw", a => a.pmullw(xmm0, xmm1)), C("pmulhw", a => a.pmulhw(xmm0, xmm1)), C("pmulhuw", a => a.pmulhuw(xmm0, xmm1)), C("pmuludq", a => a.pmuludq(xmm0, xmm1)),
        C("pmaddwd", a => a.pmaddwd(xmm0, xmm1)), C("psadbw", a => a.psadbw(xmm0, xmm1)), C("pavgb", a => a.pavgb(xmm0, xmm1)), C("pavgw", a => a.pavgw(xmm0, xmm1)),
        C("pminub", a => a.pminub(xmm0, xmm1)), C("pmaxub", a => a.pmaxub(xmm0, xmm1)), C("pminsw", a => a.pminsw(xmm0, xmm1)), C("pmaxsw", a => a.pmaxsw(xmm0, xmm1)),
        C("pcmpgtb", a => a.pcmpgtb(xmm0, xmm1)), C("pcmpgtw", a => a.pcmpgtw(xmm0, xmm1)), C("pcmpgtd", a => a.pcmpgtd(xmm0, xmm1)),
        C("paddusb", a => a.paddusb(xmm0, xmm1)), C("paddusw", a => a.paddusw(xmm0, xmm1)), C("psubusb", a => a.psubusb(xmm0, xmm1)), C("psubusw", a => a.psubusw(xmm0, xmm1)),
        C("paddsb", a => a.paddsb(xmm0, xmm1)), C("paddsw", a => a.paddsw(xmm0, xmm1)), C("psubsb", a => a.psubsb(xmm0, xmm1)), C("psubsw", a => a.psubsw(xmm0, xmm1)),
        C("psllw xmm", a => a.psllw(xmm0, xmm1)), C("psrld xmm", a => a.psrld(xmm0, xmm1)), C("psraw xmm", a => a.psraw(xmm0, xmm1)), C("psrlq m128", a => a.psrlq(xmm0, __xmmword_ptr[rdi])),
        C("pcmpeqb then pmovmskb", a => { a.pcmpeqb(xmm0, xmm1); a.pmovmskb(eax, xmm0); }),
        C("pminub strlen idiom", a => { a.pxor(xmm2, xmm2); a.movdqu(xmm1, __xmmword_ptr[rdi + 1]); a.pminub(xmm1, xmm3); a.pcmpeqb(xmm1, xmm2); a.pmovmskb(edx, xmm1); }),
    };

    public static TheoryData<Case> Mmx() => new()
    {
        C("paddb mm", a => a.paddb(mm0, mm1)), C("pmullw mm", a => a.pmullw(mm2, mm3)), C("movq mm load", a => a.movq(mm0, __qword_ptr[rdi + 8])),
        C("movd mm r32", a => a.movd(mm1, eax)), C("movq r64 mm", a => a.movq(rax, mm5)), C("pshufw", a => a.pshufw(mm0, mm1, 0x1B)),
        C("psrlq mm", a => a.psrlq(mm0, 7)), C("packuswb mm", a => a.packuswb(mm0, mm7)), C("emms", a => a.emms()), C("movq2dq", a => a.movq2dq(xmm0, mm3)),
        C("movdq2q", a => a.movdq2q(mm2, xmm3)), C("cvtpi2pd", a => a.cvtpi2pd(xmm0, mm1)), C("cvttps2pi", a => a.cvttps2pi(mm1, xmm2)),
        C("pmovmskb mm", a => a.pmovmskb(eax, mm4)), C("movntq", a => a.movntq(__qword_ptr[rdi + 8], mm6)),
    };

    private static void Run(Case testCase, int cases = Cases)
    {
        using var harness = new FloatDifferentialHarness(testCase.Sequence);
        var random = new FloatOperands(TestSeed.Of(testCase.Name));
        for (int i = 0; i < cases; i++)
        {
            harness.Compare(random.State());
        }
    }

    [Theory]
    [MemberData(nameof(Arithmetic))]
    public void Arithmetic_matches_the_host(Case testCase) => Run(testCase, 1000);

    [Theory]
    [MemberData(nameof(CompareAndConvert))]
    public void Comparisons_and_conversions_match_the_host(Case testCase) => Run(testCase, 1000);

    [Theory]
    [MemberData(nameof(Moves))]
    public void Moves_match_the_host(Case testCase) => Run(testCase);

    [Theory]
    [MemberData(nameof(Shuffles))]
    public void Shuffles_unpacks_and_packs_match_the_host(Case testCase) => Run(testCase);

    [Theory]
    [MemberData(nameof(PackedInteger))]
    public void Packed_integer_operations_match_the_host(Case testCase) => Run(testCase);

    [Theory]
    [MemberData(nameof(Mmx))]
    public void Mmx_forms_match_the_host(Case testCase) => Run(testCase);
}
