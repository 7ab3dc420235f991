using Iced.Intel;
using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>
/// The compiled tier on 16- and 32-bit code against the interpreter: near branches, calls and
/// returns, pushes and pops through SS, single string instructions with segment bases and DF,
/// a branch beyond CS's limit, LOOP/LOOPE/LOOPNE, CLC/STC/CMC, INC/DEC of memory, and the same
/// bytes compiled for two code sizes.
/// </summary>
public sealed class LegacyCompiledBlockTests
{
    private const ulong Data = LegacyModeMachine.DataPage;
    private const ulong Code = LegacyModeMachine.Code;

    private sealed record Outcome(CpuExitReason Reason, ulong Rip, ulong Rflags, ulong Retired, int? Vector, string Registers, string Memory);

    private static Outcome Run(Action<LegacyModeMachine> prepare, int threshold, out int compiled, bool native = false)
    {
        using var machine = new LegacyModeMachine();
        machine.Cpu.CompileThreshold = native ? -1 : threshold;
        machine.Cpu.NativeCompileThreshold = native ? threshold : -1;
        prepare(machine);
        var exit = machine.Cpu.Run(1_000_000);
        var cpu = machine.Cpu;
        compiled = native ? cpu.BlocksTranslated : cpu.BlocksCompiled;
        string registers = string.Join(",", Enumerable.Range(0, 8).Select(i => cpu.GetRegister((GeneralRegister)i).ToString("x")));
        string memory = string.Join(",", Enumerable.Range(0, 0x80).Select(i => machine.ReadUInt64(Data + (ulong)i * 8).ToString("x")));
        return new Outcome(exit.Reason, cpu.Rip, cpu.Rflags, cpu.InstructionsRetired, machine.VectorFromHaltRip(), registers, memory);
    }

    /// <summary>Interpreted, then on each compiled tier (.NET code, host code) from the first run and after a few
    /// runs: all must agree, and code must have been compiled. <paramref name="hostCode"/>: false for 16-bit code,
    /// which the host-code tier leaves to the others.</summary>
    private static Outcome AssertTiersAgree(Action<LegacyModeMachine> prepare, bool hostCode = true)
    {
        var interpreted = Run(prepare, -1, out int none);
        Assert.Equal(0, none);
        foreach (bool native in new[] { false, true })
        {
            foreach (int threshold in new[] { 0, 3 })
            {
                var compiled = Run(prepare, threshold, out int blocks, native);
                Assert.True(blocks > 0 || native && !hostCode, $"{(native ? "host code" : ".NET code")}, threshold {threshold}: nothing was compiled");
                Assert.Equal(interpreted, compiled);
            }
        }
        return interpreted;
    }

    /// <summary>A byte of the data page as the outcome recorded it.</summary>
    private static byte ByteAt(Outcome outcome, ulong offset) =>
        (byte)(Convert.ToUInt64(outcome.Memory.Split(',')[offset / 8], 16) >> (int)(offset % 8 * 8));

    private static void FillSource(LegacyModeMachine machine)
    {
        for (ulong i = 0; i < 64; i++)
        {
            machine.WriteBytes(Data + i, [(byte)(i * 7 + 1)]);
        }
    }

    [Fact]
    public void Flat_32_bit_copy_loops_calls_and_string_instructions_agree_with_the_interpreter()
    {
        var outcome = AssertTiersAgree(machine =>
        {
            machine.EnterProtectedMode32();
            FillSource(machine);
            machine.Assemble(Code, 32, a =>
            {
                var copy = a.CreateLabel();
                var copied = a.CreateLabel();
                var back = a.CreateLabel();
                var backDone = a.CreateLabel();
                var calls = a.CreateLabel();
                var function = a.CreateLabel();
                var store = a.CreateLabel();
                var load = a.CreateLabel();
                // GRUB's forward byte copy: cmp/je/movsb/jmp, one compiled loop.
                a.mov(esi, (uint)Data);
                a.mov(edi, (uint)Data + 0x100);
                a.lea(ecx, __[edi + 40]);
                a.Label(ref copy);
                a.cmp(ecx, edi);
                a.je(copied);
                a.movsb();
                a.jmp(copy);
                a.Label(ref copied);
                // Its backward copy: sub/jb/load/store/jmp.
                a.mov(ecx, 40);
                a.mov(esi, (uint)Data);
                a.mov(eax, (uint)Data + 0x180);
                a.Label(ref back);
                a.sub(ecx, 1);
                a.jb(backDone);
                a.mov(dl, __byte_ptr[esi + ecx]);
                a.mov(__byte_ptr[eax + ecx], dl);
                a.jmp(back);
                a.Label(ref backDone);
                // Calls with arguments on the stack, RET imm16, PUSH imm, 16-bit pushes.
                a.xor(ebx, ebx);
                a.mov(ecx, 50);
                a.Label(ref calls);
                a.push(ecx);
                a.push(7);
                a.call(function);
                a.pop(ecx);
                a.push(cx);
                a.pop(dx);
                a.loop(calls);
                // STOSB downwards, LODSB upwards.
                a.std();
                a.mov(edi, (uint)Data + 0x20F);
                a.mov(al, 0x5A);
                a.mov(ecx, 16);
                a.Label(ref store);
                a.stosb();
                a.dec(ecx);
                a.jnz(store);
                a.cld();
                a.mov(esi, (uint)Data);
                a.xor(edx, edx);
                a.mov(ecx, 32);
                a.Label(ref load);
                a.lodsb();
                a.movzx(ebp, al);
                a.add(edx, ebp);
                a.dec(ecx);
                a.jnz(load);
                a.hlt();
                a.Label(ref function);
                a.mov(eax, __dword_ptr[esp + 4]);
                a.add(ebx, eax);
                a.add(ebx, ecx);
                a.ret(4);
            });
        });

        Assert.Equal(CpuExitReason.Halt, outcome.Reason);
        Assert.Null(outcome.Vector);
        for (ulong i = 0; i < 40; i++)
        {
            byte source = (byte)(i * 7 + 1);
            Assert.Equal(source, ByteAt(outcome, 0x100 + i));   // forward copy
            Assert.Equal(source, ByteAt(outcome, 0x180 + i));   // backward copy
        }
        for (ulong i = 0; i < 16; i++)
        {
            Assert.Equal(0x5A, ByteAt(outcome, 0x200 + i));    // STOSB with DF set, from 0x20F down
        }
        Assert.Equal(0, ByteAt(outcome, 0x1FF));
        string[] registers = outcome.Registers.Split(',');
        Assert.Equal((50UL * 7 + 50 * 51 / 2).ToString("x"), registers[3]);   // EBX: 7 + ECX per call
        ulong sum = 0;
        for (ulong i = 0; i < 32; i++)
        {
            sum += (byte)(i * 7 + 1);
        }
        Assert.Equal(sum.ToString("x"), registers[2]);                       // EDX: LODSB sum
        Assert.Equal(LegacyModeMachine.StackTop.ToString("x"), registers[4]); // ESP balanced
    }

    [Fact]
    public void Real_mode_loops_with_segment_bases_and_a_16_bit_stack_agree_with_the_interpreter()
    {
        const ulong source = 0x6_0000, destination = 0x6_1000;
        var outcome = AssertTiersAgree(machine =>
        {
            machine.Cpu.ResetForBootSector();
            for (ulong i = 0; i < 64; i++)
            {
                machine.WriteBytes(source + i, [(byte)(i + 3)]);
            }
            machine.Assemble(0x7C00, 16, a =>
            {
                var copy = a.CreateLabel();
                var calls = a.CreateLabel();
                var function = a.CreateLabel();
                a.xor(ax, ax);
                a.mov(ss, ax);
                a.mov(sp, 0x7000);
                a.mov(ax, (ushort)(source >> 4));
                a.mov(ds, ax);
                a.mov(ax, (ushort)(destination >> 4));
                a.mov(es, ax);
                a.xor(si, si);
                a.xor(di, di);
                a.mov(cx, 48);
                a.Label(ref copy);
                a.movsb();
                a.dec(cx);
                a.jnz(copy);
                a.xor(bx, bx);
                a.mov(cx, 20);
                a.Label(ref calls);
                a.push(cx);
                a.call(function);
                a.pop(cx);
                a.dec(cx);
                a.jnz(calls);
                a.hlt();
                a.Label(ref function);
                a.mov(bp, sp);
                a.add(bx, __word_ptr[bp + 2]);             // SS:BP: BP-based operands default to SS
                a.ret();
            });
        }, hostCode: false);

        Assert.Equal(CpuExitReason.Halt, outcome.Reason);
        string[] registers = outcome.Registers.Split(',');
        Assert.Equal((20 * 21 / 2).ToString("x"), registers[3]);  // BX: the pushed counters
        Assert.Equal("7000", registers[4]);                       // SP balanced
        Assert.Equal("30", registers[6]);                         // SI and DI advanced by 48
        Assert.Equal("30", registers[7]);
    }

    [Fact]
    public void A_branch_beyond_the_code_segment_limit_from_compiled_code_faults_at_the_branch()
    {
        const ulong beyond = Code + 0x300;
        var outcome = AssertTiersAgree(machine =>
        {
            machine.EnterProtectedMode32();
            machine.Cpu.SetSegment(SegmentName.Cs, new SegmentRegister(LegacyModeMachine.Code32Selector, 0, (uint)Code + 0x200, 0x409B));
            machine.Assemble(Code, 32, a =>
            {
                var loop = a.CreateLabel();
                a.mov(ecx, 5);
                a.Label(ref loop);
                a.dec(ecx);
                a.jz(beyond);
                a.jmp(loop);
            });
        });

        Assert.Equal(13, outcome.Vector);                         // #GP through the IDT
        Assert.Equal("0", outcome.Registers.Split(',')[1]);       // after the fifth DEC
    }

    [Fact]
    public void The_same_bytes_compiled_as_64_bit_code_are_not_reused_for_32_bit_code()
    {
        // 48 FF C0 is INC RAX in 64-bit code but DEC EAX; INC EAX in 32-bit code.
        byte[] code = [0x48, 0xFF, 0xC0, 0x48, 0xFF, 0xC0, 0x48, 0xFF, 0xC0, 0xF4];
        using (var machine64 = new LongModeMachine())
        {
            machine64.Cpu.CompileThreshold = 0;
            machine64.Cpu.NativeCompileThreshold = -1; // the .NET tier's own behaviour
            machine64.WriteBytes(LongModeMachine.KernelCode, code);
            machine64.Cpu.Run(100);
            Assert.Equal(3UL, machine64.Register(GeneralRegister.Rax));
            Assert.True(machine64.Cpu.BlocksCompiled > 0);
        }
        using var machine32 = new LegacyModeMachine();
        machine32.Cpu.CompileThreshold = 0;
        machine32.Cpu.NativeCompileThreshold = -1;
        machine32.EnterProtectedMode32();
        machine32.WriteBytes(Code, code);
        machine32.Cpu.Run(100);
        Assert.Equal(0UL, machine32.Register(GeneralRegister.Rax));
        Assert.True(machine32.Cpu.BlocksCompiled > 0);
    }

    [Fact]
    public void A_range_decoder_style_loop_with_pushfd_popfd_and_memory_shifts_agrees_with_the_interpreter()
    {
        // The shape of GRUB's LZMA bit decoder: flags saved around a range check, shifts of memory
        // operands and by CL, a LODSB refill, RCL through the carry, MUL.
        var outcome = AssertTiersAgree(machine =>
        {
            machine.EnterProtectedMode32();
            FillSource(machine);
            machine.Assemble(Code, 32, a =>
            {
                var loop = a.CreateLabel();
                var noRefill = a.CreateLabel();
                a.mov(esi, (uint)Data);
                a.mov(ebp, (uint)Data + 0x300);
                a.mov(__dword_ptr[ebp], 0x0123_4567);
                a.mov(__dword_ptr[ebp + 4], 0x00FF_FFFF);
                a.mov(ebx, 0x9E37_79B9);
                a.mov(edi, 60);
                a.Label(ref loop);
                a.mov(eax, __dword_ptr[ebp + 4]);
                a.shr(eax, 11);
                a.mov(edx, ebx);
                a.mul(edx);
                a.cmp(eax, __dword_ptr[ebp]);
                a.pushfd();
                a.cmp(__dword_ptr[ebp + 4], 0x0100_0000);
                a.jae(noRefill);
                a.shl(__dword_ptr[ebp], 8);
                a.lodsb();
                a.mov(__byte_ptr[ebp], al);
                a.shl(__dword_ptr[ebp + 4], 8);
                a.Label(ref noRefill);
                a.popfd();
                a.rcl(ebx, 1);
                a.mov(ecx, edi);
                a.and(cl, 7);
                a.rol(ebx, cl);
                a.sar(__word_ptr[ebp + 8], cl);
                a.rcr(__byte_ptr[ebp + 10], 1);
                a.add(__dword_ptr[ebp + 4], ebx);
                a.dec(edi);
                a.jnz(loop);
                a.hlt();
            });
        });

        Assert.Equal(CpuExitReason.Halt, outcome.Reason);
        Assert.Null(outcome.Vector);
        Assert.NotEqual((uint)Data, uint.Parse(outcome.Registers.Split(',')[6], System.Globalization.NumberStyles.HexNumber)); // LODSB refilled
    }

    [Fact]
    public void Host_code_wraps_32_bit_addresses_adds_every_segments_base_and_takes_absolute_moves()
    {
        var outcome = AssertTiersAgree(machine =>
        {
            machine.EnterProtectedMode32();
            // ES and FS with small bases, so that an address without them lands in the same (cached) page: host code
            // must add them (64-bit code adds only FS's and GS's).
            machine.Cpu.SetSegment(SegmentName.Es, new SegmentRegister(LegacyModeMachine.Data32Selector, 0x40, 0xFFFF_FFFF, 0xC093));
            machine.Cpu.SetSegment(SegmentName.Fs, new SegmentRegister(LegacyModeMachine.Data32Selector, 0x100, 0xFFFF_FFFF, 0xC093));
            machine.Assemble(Code, 32, a =>
            {
                var loop = a.CreateLabel();
                a.mov(ecx, 200);
                a.xor(ebx, ebx);
                a.Label(ref loop);
                a.db(0xA1); // MOV EAX, [moffs32]
                a.dd((uint)Data + 0x80);
                a.db(0x40); // INC EAX, the one-byte form (a REX prefix in 64-bit code)
                a.db(0xA3); // MOV [moffs32], EAX
                a.dd((uint)Data + 0x80);
                a.mov(edx, 0xFFFF_FFF8);
                a.add(__dword_ptr[edx + (int)Data + 8], 3); // EDX + Data + 8 wraps to Data
                a.add(__dword_ptr.es[ebx * 4 + (int)Data], ecx);
                a.xor(__dword_ptr.fs[(int)Data], ecx);
                a.inc(ebx);
                a.and(ebx, 15);
                a.dec(ecx);
                a.jnz(loop);
                a.hlt();
            });
        });

        Assert.Equal(CpuExitReason.Halt, outcome.Reason);
        Assert.Null(outcome.Vector);
        ulong[] memory = outcome.Memory.Split(',').Select(value => Convert.ToUInt64(value, 16)).ToArray();
        // ES:[Data]: ECX added where EBX was 0 (passes 0, 16, ..., 192); ES:[Data + 4]: where EBX was 1.
        ulong SumOfCounts(int first) => (ulong)Enumerable.Range(0, 200).Where(pass => pass % 16 == first).Sum(pass => 200 - pass);
        Assert.Equal(600UL, memory[0]);                                                            // 200 wrapped adds of 3
        Assert.Equal((SumOfCounts(1) << 32) | SumOfCounts(0), memory[0x40 / 8]);
        Assert.Equal(200UL, memory[0x80 / 8]);                                                     // the absolute counter
        Assert.Equal((ulong)Enumerable.Range(1, 200).Aggregate(0, (x, count) => x ^ count), memory[0x100 / 8]); // FS:[Data]
    }

    [Fact]
    public void Loops_carry_instructions_and_memory_increments_agree_with_the_interpreter()
    {
        var outcome = AssertTiersAgree(machine =>
        {
            machine.EnterProtectedMode32();
            for (ulong i = 0; i < 6; i++)
            {
                machine.WriteBytes(Data + 0x40 + i, [0x5A]);
            }
            machine.WriteBytes(Data + 0x50, [3, 1, 4, 1, 5, 0, 9]);
            machine.Assemble(Code, 32, a =>
            {
                var count = a.CreateLabel();
                var equal = a.CreateLabel();
                var nonZero = a.CreateLabel();
                // LOOP over INC/DEC of memory, each followed by a carry the INC/DEC must keep, and
                // every flag of the DEC summed (OF, SF, ZF, AF, PF and CF through PUSHFD).
                a.mov(ecx, 300);
                a.Label(ref count);
                a.stc();
                a.inc(__dword_ptr[Data]);
                a.adc(eax, 0);
                a.clc();
                a.dec(__byte_ptr[Data + 8]);
                a.pushfd();
                a.pop(esi);
                a.and(esi, 0x8D5);
                a.add(edi, esi);
                a.cmc();
                a.inc(__word_ptr[Data + 16]);
                a.adc(edx, 0);
                a.loop(count);
                // LOOPE while the bytes are 5Ah (six of them), LOOPNE until a zero byte (the sixth).
                a.mov(ebx, (uint)Data + 0x40);
                a.mov(ecx, 20);
                a.Label(ref equal);
                a.inc(ebx);
                a.cmp(__byte_ptr[ebx - 1], 0x5A);
                a.loope(equal);
                a.mov(ebp, ecx);
                a.mov(ebx, (uint)Data + 0x50);
                a.mov(ecx, 20);
                a.Label(ref nonZero);
                a.inc(ebx);
                a.cmp(__byte_ptr[ebx - 1], 0);
                a.loopne(nonZero);
                a.hlt();
            });
        });

        Assert.Equal(CpuExitReason.Halt, outcome.Reason);
        Assert.Null(outcome.Vector);
        string[] registers = outcome.Registers.Split(',');
        Assert.Equal((300).ToString("x"), registers[0]);          // EAX: STC's carry kept across INC
        Assert.Equal((300).ToString("x"), registers[2]);          // EDX: CMC's carry kept across INC
        Assert.Equal((20 - 7).ToString("x"), registers[5]);       // EBP: LOOPE ran 7 passes
        Assert.Equal((20 - 6).ToString("x"), registers[1]);       // ECX: LOOPNE ran 6 passes
        Assert.Equal(300UL, Convert.ToUInt64(outcome.Memory.Split(',')[0], 16));
        Assert.Equal((byte)(256 - 300 % 256), ByteAt(outcome, 8));
        Assert.Equal(300UL, Convert.ToUInt64(outcome.Memory.Split(',')[2], 16) & 0xFFFF);
    }

    [Fact]
    public void A_16_bit_loop_counts_in_cx_and_keeps_the_upper_half_of_ecx()
    {
        var outcome = AssertTiersAgree(machine =>
        {
            machine.Cpu.ResetForBootSector();
            machine.Assemble(0x7C00, 16, a =>
            {
                var loop = a.CreateLabel();
                a.mov(ecx, 0x1234_0040);
                a.xor(ax, ax);
                a.Label(ref loop);
                a.add(ax, 3);
                a.loop(loop);
                a.hlt();
            });
        }, hostCode: false);

        Assert.Equal(CpuExitReason.Halt, outcome.Reason);
        string[] registers = outcome.Registers.Split(',');
        Assert.Equal((0x40 * 3).ToString("x"), registers[0]);
        Assert.Equal("12340000", registers[1]);
    }

    [Fact]
    public void A_taken_loop_beyond_the_code_segment_limit_faults_with_the_counter_unchanged()
    {
        var outcome = AssertTiersAgree(machine =>
        {
            machine.EnterProtectedMode32();
            // The LOOP ends at offset 13 of the code; its (short) target at 29 lies beyond the limit.
            machine.Cpu.SetSegment(SegmentName.Cs, new SegmentRegister(LegacyModeMachine.Code32Selector, 0, (uint)Code + 20, 0x409B));
            machine.Assemble(Code, 32, a =>
            {
                var inner = a.CreateLabel();
                var beyond = a.CreateLabel();
                a.mov(ecx, 5);
                a.Label(ref inner);
                a.inc(edx);
                a.cmp(edx, 8);
                a.jb(inner);
                a.loop(beyond);
                for (int i = 0; i < 16; i++)
                {
                    a.nop();
                }
                a.Label(ref beyond);
                a.hlt();
            });
        });

        Assert.Equal(13, outcome.Vector);                         // #GP through the IDT
        string[] registers = outcome.Registers.Split(',');
        Assert.Equal("5", registers[1]);                          // ECX as before the LOOP
        Assert.Equal("8", registers[2]);
    }

    [Fact]
    public void String_instructions_with_16_bit_addresses_wrap_si_and_di_and_keep_their_upper_halves()
    {
        var outcome = AssertTiersAgree(machine =>
        {
            machine.EnterProtectedMode32();
            machine.Assemble(Code, 32, a =>
            {
                var loop = a.CreateLabel();
                // 67h: 16-bit addresses in 32-bit code (flat segments: linear 0000h-FFFFh). SI runs
                // from FFFEh over the wrap to 0001h, DI from 0001h down over the wrap to FFFFh;
                // ESI's and EDI's upper halves stay.
                a.mov(esi, 0x0006_FFFE);
                a.mov(ecx, 3);
                a.Label(ref loop);
                a.db(0x67);
                a.lodsb();
                a.add(edx, eax);
                a.dec(ecx);
                a.jnz(loop);
                a.mov(ebx, esi);
                a.std();
                a.mov(edi, 0x0006_0001);
                a.mov(al, 0x77);
                a.db(0x67);
                a.stosb();
                a.db(0x67);
                a.stosb();
                a.mov(ebp, edi);
                a.cld();
                a.mov(esi, 0x0006_0000);
                a.mov(edi, 0x0006_0300);
                a.db(0x67);
                a.movsd();
                a.hlt();
            });
        }, hostCode: false); // mostly 16-bit-address string instructions, which stay with the interpreter; its loop runs three times

        Assert.Equal(CpuExitReason.Halt, outcome.Reason);
        string[] registers = outcome.Registers.Split(',');
        Assert.Equal("60001", registers[3]);                       // EBX: ESI after three LODSB over the wrap
        Assert.Equal("6ffff", registers[5]);                       // EBP: EDI after two STOSB down over the wrap
        Assert.Equal("60004", registers[6]);                       // ESI and EDI after the MOVSD
        Assert.Equal("60304", registers[7]);
    }
}
