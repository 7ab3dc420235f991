using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Iced.Intel;
using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>
/// The SSE2 integer subset against the host CPU: random 128-bit operands go through memory into
/// XMM registers, one packed instruction runs on the engine, and the result is compared with the
/// same instruction run natively through the SSE2 intrinsics. Also the #UD, #NM and alignment #GP
/// rules, and a page-crossing store that faults leaving memory untouched.
/// </summary>
public sealed class SseTests
{
    private const ulong Operands = LongModeMachine.DataPage, Result = LongModeMachine.DataPage + 32;
    private const int Cases = 500;

    public sealed record PackedCase(string Name, Action<Assembler> Instruction, Func<Vector128<byte>, Vector128<byte>, Vector128<byte>> Native)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<PackedCase> PackedCases() => new()
    {
        new PackedCase("pxor", a => a.pxor(xmm0, xmm1), Sse2.Xor),
        new PackedCase("por", a => a.por(xmm0, xmm1), Sse2.Or),
        new PackedCase("pand", a => a.pand(xmm0, xmm1), Sse2.And),
        new PackedCase("pandn", a => a.pandn(xmm0, xmm1), Sse2.AndNot),
        new PackedCase("paddb", a => a.paddb(xmm0, xmm1), Sse2.Add),
        new PackedCase("paddw", a => a.paddw(xmm0, xmm1), (x, y) => Sse2.Add(x.AsUInt16(), y.AsUInt16()).AsByte()),
        new PackedCase("paddd", a => a.paddd(xmm0, xmm1), (x, y) => Sse2.Add(x.AsUInt32(), y.AsUInt32()).AsByte()),
        new PackedCase("paddq", a => a.paddq(xmm0, xmm1), (x, y) => Sse2.Add(x.AsUInt64(), y.AsUInt64()).AsByte()),
        new PackedCase("psubb", a => a.psubb(xmm0, xmm1), Sse2.Subtract),
        new PackedCase("psubw", a => a.psubw(xmm0, xmm1), (x, y) => Sse2.Subtract(x.AsUInt16(), y.AsUInt16()).AsByte()),
        new PackedCase("psubd", a => a.psubd(xmm0, xmm1), (x, y) => Sse2.Subtract(x.AsUInt32(), y.AsUInt32()).AsByte()),
        new PackedCase("psubq", a => a.psubq(xmm0, xmm1), (x, y) => Sse2.Subtract(x.AsUInt64(), y.AsUInt64()).AsByte()),
        new PackedCase("pcmpeqb", a => a.pcmpeqb(xmm0, xmm1), Sse2.CompareEqual),
        new PackedCase("pcmpeqw", a => a.pcmpeqw(xmm0, xmm1), (x, y) => Sse2.CompareEqual(x.AsUInt16(), y.AsUInt16()).AsByte()),
        new PackedCase("pcmpeqd", a => a.pcmpeqd(xmm0, xmm1), (x, y) => Sse2.CompareEqual(x.AsUInt32(), y.AsUInt32()).AsByte()),
        new PackedCase("pxor with a memory source", a => a.pxor(xmm0, __xmmword_ptr[Operands + 16]), Sse2.Xor),
        new PackedCase("movdqa register", a => a.movdqa(xmm0, xmm1), (_, y) => y),
        new PackedCase("movups register", a => a.movups(xmm0, xmm1), (_, y) => y),
    };

    [Theory]
    [MemberData(nameof(PackedCases))]
    public void Packed_operations_match_the_host(PackedCase testCase)
    {
        using var machine = SseMachine(a => testCase.Instruction(a));
        var random = new Random(TestSeed.Of(testCase.Name));
        for (int i = 0; i < Cases; i++)
        {
            var x = RandomVector(random);
            var y = random.Next(8) == 0 ? x : RandomVector(random); // equal lanes often enough for the compares
            if (random.Next(4) == 0)
            {
                y = Sse2.Or(Sse2.And(y, Vector128.Create((byte)0xF0)), Sse2.AndNot(Vector128.Create((byte)0xF0), x)); // some equal bytes
            }
            Assert.Equal(testCase.Native(x, y), RunOnEngine(machine, x, y));
        }
    }

    public static TheoryData<string, byte> ShiftCases()
    {
        var cases = new TheoryData<string, byte>();
        foreach (string name in new[] { "psllw", "pslld", "psllq", "psrlw", "psrld", "psrlq", "psraw", "psrad" })
        {
            foreach (byte count in new byte[] { 0, 1, 7, 15, 16, 31, 32, 63, 64, 200 })
            {
                cases.Add(name, count);
            }
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(ShiftCases))]
    public void Shifts_by_an_immediate_match_the_host_including_counts_past_the_lane(string name, byte count)
    {
        Action<Assembler> instruction = name switch
        {
            "psllw" => a => a.psllw(xmm0, count),
            "pslld" => a => a.pslld(xmm0, count),
            "psllq" => a => a.psllq(xmm0, count),
            "psrlw" => a => a.psrlw(xmm0, count),
            "psrld" => a => a.psrld(xmm0, count),
            "psrlq" => a => a.psrlq(xmm0, count),
            "psraw" => a => a.psraw(xmm0, count),
            _ => a => a.psrad(xmm0, count),
        };
        Func<Vector128<byte>, Vector128<byte>> native = name switch
        {
            "psllw" => x => Sse2.ShiftLeftLogical(x.AsUInt16(), Count(count).AsUInt16()).AsByte(),
            "pslld" => x => Sse2.ShiftLeftLogical(x.AsUInt32(), Count(count).AsUInt32()).AsByte(),
            "psllq" => x => Sse2.ShiftLeftLogical(x.AsUInt64(), Count(count).AsUInt64()).AsByte(),
            "psrlw" => x => Sse2.ShiftRightLogical(x.AsUInt16(), Count(count).AsUInt16()).AsByte(),
            "psrld" => x => Sse2.ShiftRightLogical(x.AsUInt32(), Count(count).AsUInt32()).AsByte(),
            "psrlq" => x => Sse2.ShiftRightLogical(x.AsUInt64(), Count(count).AsUInt64()).AsByte(),
            "psraw" => x => Sse2.ShiftRightArithmetic(x.AsInt16(), Count(count).AsInt16()).AsByte(),
            _ => x => Sse2.ShiftRightArithmetic(x.AsInt32(), Count(count).AsInt32()).AsByte(),
        };
        using var machine = SseMachine(instruction);
        var random = new Random(count);
        for (int i = 0; i < 50; i++)
        {
            var x = RandomVector(random);
            Assert.Equal(native(x), RunOnEngine(machine, x, default));
        }
    }

    /// <summary>The host runs the register-count form (same results as the immediate form for every
    /// count): the immediate forms want a constant.</summary>
    private static Vector128<ulong> Count(byte count) => Vector128.CreateScalar((ulong)count);

    [Fact]
    public void Without_osfxsr_sse_is_ud_and_with_ts_it_is_nm()
    {
        using var machine = SseMachine(a => a.pxor(xmm0, xmm1));
        machine.Cpu.Cr4 &= ~(1UL << 9);
        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Equal(6, machine.VectorFromHaltRip());

        machine.Cpu.Cr4 |= 1 << 9;
        machine.Cpu.Cr0 |= 1 << 3; // TS
        Restart(machine);
        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);
        Assert.Equal(7, machine.VectorFromHaltRip());
    }

    [Fact]
    public void An_unaligned_movdqa_is_a_general_protection_fault_and_movdqu_is_not()
    {
        using var aligned = SseMachine(a => a.movdqa(xmm2, __xmmword_ptr[Operands + 8]));
        Assert.Equal(CpuExitReason.Halt, aligned.Cpu.Run(100).Reason);
        Assert.Equal(13, aligned.VectorFromHaltRip());

        using var unaligned = SseMachine(a => a.movdqu(xmm2, __xmmword_ptr[Operands + 8]));
        Assert.Equal(CpuExitReason.Halt, unaligned.Cpu.Run(100).Reason);
        Assert.Null(unaligned.VectorFromHaltRip());
    }

    [Fact]
    public void A_store_across_into_an_unmapped_page_faults_and_writes_nothing()
    {
        const ulong End = LongModeMachine.DataPage + 0x1000;
        using var machine = new LongModeMachine();
        machine.Cpu.Cr4 |= 1 << 9;
        machine.SetPageEntry(End, 0); // the next page is not present
        machine.WriteUInt64(End - 8, 0x1111_2222_3333_4444);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.pcmpeqd(xmm3, xmm3); // all ones
            a.movdqu(__xmmword_ptr[End - 8], xmm3);
            a.hlt();
        });

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100).Reason);

        Assert.Equal(14, machine.VectorFromHaltRip());
        Assert.Equal(End, machine.Cpu.Cr2);
        Assert.Equal(0x1111_2222_3333_4444ul, machine.ReadUInt64(End - 8));
    }

    /// <summary>A machine with CR4.OSFXSR set whose code loads XMM0 and XMM1 from the operands, runs
    /// the instruction and stores XMM0 to the result.</summary>
    private static LongModeMachine SseMachine(Action<Assembler> instruction)
    {
        var machine = new LongModeMachine();
        machine.Cpu.Cr4 |= 1 << 9;
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.movdqa(xmm0, __xmmword_ptr[Operands]);
            a.movdqa(xmm1, __xmmword_ptr[Operands + 16]);
            instruction(a);
            a.movdqa(__xmmword_ptr[Result], xmm0);
            a.hlt();
        });
        return machine;
    }

    private static Vector128<byte> RunOnEngine(LongModeMachine machine, Vector128<byte> x, Vector128<byte> y)
    {
        machine.WriteUInt64(Operands, x.AsUInt64().GetElement(0));
        machine.WriteUInt64(Operands + 8, x.AsUInt64().GetElement(1));
        machine.WriteUInt64(Operands + 16, y.AsUInt64().GetElement(0));
        machine.WriteUInt64(Operands + 24, y.AsUInt64().GetElement(1));
        Restart(machine);
        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(1000).Reason);
        Assert.Null(machine.VectorFromHaltRip());
        return Vector128.Create(machine.ReadUInt64(Result), machine.ReadUInt64(Result + 8)).AsByte();
    }

    private static void Restart(LongModeMachine machine)
    {
        machine.Cpu.Halted = false;
        machine.Cpu.Rip = LongModeMachine.KernelCode;
    }

    private static Vector128<byte> RandomVector(Random random) =>
        Vector128.Create((ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63), (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63)).AsByte();
}
