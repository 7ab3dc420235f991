using Iced.Intel;
using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>
/// The compiled tier against the interpreter on whole programs: the same registers, flags, RIP,
/// retired count, exits and exceptions, for loops the compiler runs in one call, budgets that
/// end inside such a loop, a loop rewriting its own code, a page fault and an MMIO exit in a
/// compiled block.
/// </summary>
public sealed class CompiledBlockTests
{
    private const ulong Data = LongModeMachine.DataPage;
    private const ulong NotPresent = 0x70000;

    private sealed record Outcome(CpuExitReason Reason, ulong Rip, ulong Rflags, ulong Retired, ulong Cr2, int? Vector, string Registers, ulong StackTop, ulong Data0, ulong Data1);

    private static Outcome Run(Action<Assembler> program, int threshold, long budget, out int compiled, Action<LongModeMachine>? prepare = null, bool native = false)
    {
        using var machine = new LongModeMachine();
        machine.Cpu.CompileThreshold = native ? -1 : threshold;
        machine.Cpu.NativeCompileThreshold = native ? threshold : -1;
        prepare?.Invoke(machine);
        machine.Assemble(LongModeMachine.KernelCode, program);
        var exit = machine.Cpu.Run(budget);
        compiled = native ? machine.Cpu.BlocksTranslated : machine.Cpu.BlocksCompiled;
        return OutcomeOf(machine, exit);
    }

    private static Outcome OutcomeOf(LongModeMachine machine, CpuExit exit)
    {
        var cpu = machine.Cpu;
        string registers = string.Join(",", Enumerable.Range(0, 16).Select(i => cpu.GetRegister((GeneralRegister)i).ToString("x")));
        return new Outcome(exit.Reason, cpu.Rip, cpu.Rflags, cpu.InstructionsRetired, cpu.Cr2, machine.VectorFromHaltRip(), registers,
            machine.ReadUInt64(cpu.GetRegister(GeneralRegister.Rsp)), machine.ReadUInt64(Data), machine.ReadUInt64(Data + 8));
    }

    /// <summary>Runs interpreted for <paramref name="budget"/> instructions, then on to the end from where that left RIP.</summary>
    private static Outcome RunThenResume(Action<Assembler> program, long budget)
    {
        using var machine = new LongModeMachine();
        machine.Cpu.CompileThreshold = -1;
        machine.Assemble(LongModeMachine.KernelCode, program);
        Assert.Equal(CpuExitReason.BudgetExhausted, machine.Cpu.Run(budget).Reason);
        return OutcomeOf(machine, machine.Cpu.Run(1_000_000));
    }

    /// <summary>Runs interpreted, then on each compiled tier (.NET code, host code) from the first run and
    /// after a few runs: all must agree. <paramref name="hostCode"/>: false for a program whose blocks the
    /// host-code tier leaves to the others (most of their instructions are outside its list).</summary>
    private static Outcome AssertTiersAgree(Action<Assembler> program, long budget = 1_000_000, Action<LongModeMachine>? prepare = null, bool hostCode = true)
    {
        var interpreted = Run(program, -1, budget, out int none, prepare);
        Assert.Equal(0, none);
        foreach (bool native in new[] { false, true })
        {
            foreach (int threshold in new[] { 0, 3 })
            {
                var compiled = Run(program, threshold, budget, out int blocks, prepare, native);
                // A block runs compiled only with the budget for all of it; a rewritten block starts its count afresh.
                Assert.True(blocks > 0 || threshold > 0 || budget < 100 || native && !hostCode, $"{(native ? "host code" : ".NET code")}, threshold {threshold}: nothing was compiled");
                Assert.Equal(interpreted, compiled);
            }
        }
        return interpreted;
    }

    /// <summary>LoopGuest's integer loop plus flag consumers, 8/16-bit forms and memory operands.</summary>
    private static void MixedLoop(Assembler a)
    {
        var loop = a.CreateLabel();
        a.mov(rax, 1);
        a.xor(ebx, ebx);
        a.mov(rsi, 0x1234_5678_9ABC_DEF0);
        a.mov(ecx, 300);
        a.mov(__qword_ptr[Data], 7);
        a.Label(ref loop);
        a.mov(rdx, rax);
        a.shr(rdx, 3);
        a.add(rax, rdx);
        a.xor(rax, rcx);
        a.lea(rbx, __[rbx + rax * 2]);
        a.cmp(rbx, rsi);
        a.setb(r9b);
        a.cmovl(r10d, ecx);
        a.adc(r11, 5);
        a.sbb(r12w, cx);
        a.add(__qword_ptr[Data], rax);
        a.movzx(r13d, __byte_ptr[Data + 1]);
        a.movsx(edi, dh);
        a.sar(edi, 3);
        a.shl(bl, 2);
        a.test(r13b, 0x10);
        a.sete(ah);
        a.neg(r15);
        a.not(r8d);
        a.inc(r15w);
        a.mov(__dword_ptr[Data + 8], r13d);
        a.or(r11, __qword_ptr[Data + 8]);
        a.dec(rcx);
        a.jnz(loop);
        a.hlt();
    }

    [Fact]
    public void A_mixed_loop_gives_the_interpreters_result()
    {
        var outcome = AssertTiersAgree(MixedLoop);
        Assert.Equal(CpuExitReason.Halt, outcome.Reason);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(100)]
    [InlineData(1001)]
    [InlineData(4567)]
    public void A_budget_ending_inside_a_compiled_loop_stops_at_the_same_instruction(long budget)
    {
        var outcome = AssertTiersAgree(MixedLoop, budget);
        Assert.Equal(CpuExitReason.BudgetExhausted, outcome.Reason);
    }

    /// <summary>A hash- and bignum-like loop: rotates by immediates, IMUL/MUL with register and
    /// memory sources, the carry chain after them.</summary>
    private static void CryptoLoop(Assembler a)
    {
        var loop = a.CreateLabel();
        a.mov(rax, 0x0123_4567_89AB_CDEF);
        a.mov(rbx, 0x7654_3210_FEDC_BA98);
        a.mov(ecx, 200);
        a.mov(__qword_ptr[Data], 0x7000_0003);
        a.mov(__qword_ptr[Data + 8], -5);
        a.Label(ref loop);
        a.mov(edx, eax);
        a.ror(edx, 7);
        a.mov(esi, eax);
        a.rol(esi, 14);
        a.xor(edx, esi);
        a.ror(rbx, 19);
        a.add(rbx, rdx);
        a.imul(r8, rbx);
        a.imul(r9d, __dword_ptr[Data], 0x41);
        a.imul(r10, __qword_ptr[Data + 8]);
        a.rol(r10w, 3);
        a.adc(r11, r10);
        a.mov(rdi, rax);
        a.mul(__qword_ptr[Data]);
        a.add(r12, rdx);
        a.mov(rax, rdi);
        a.imul(rbx);
        a.adc(r13, rax);
        a.rol(al, 1);
        a.mul(bh);
        a.imul(r14w, r15w, 0x1234);
        a.ror(r15, 1);
        a.seto(r14b);
        a.add(rax, rcx);
        a.dec(ecx);
        a.jnz(loop);
        a.hlt();
    }

    [Fact]
    public void A_crypto_like_loop_of_rotates_and_multiplications_gives_the_interpreters_result()
    {
        var outcome = AssertTiersAgree(CryptoLoop);
        Assert.Equal(CpuExitReason.Halt, outcome.Reason);
    }

    [Theory]
    [InlineData(13)]
    [InlineData(1000)]
    public void A_budget_ending_inside_a_compiled_crypto_loop_stops_at_the_same_instruction(long budget)
    {
        var outcome = AssertTiersAgree(CryptoLoop, budget);
        Assert.Equal(CpuExitReason.BudgetExhausted, outcome.Reason);
    }

    /// <summary>A bit-reader-like loop: SHL, SHR and SAR by CL at every operand size, CL running from 0 past
    /// 64 (so counts of 0, the operand size and beyond it, masked), each after a CMP whose flags a count of
    /// 0 must leave; the full flags (the undefined ones too) summed after each.</summary>
    private static void ShiftByClLoop(Assembler a)
    {
        var loop = a.CreateLabel();
        a.mov(r10, 0x8123_4567_89AB_CDEF);
        a.xor(ecx, ecx);
        a.Label(ref loop);
        a.mov(rax, r10);
        a.cmp(rax, rcx);
        a.shl(rax, cl);
        SumFlagsAndResult(a, rax);
        a.mov(rdx, r10);
        a.cmp(edx, 0x40);
        a.shr(edx, cl);
        SumFlagsAndResult(a, rdx);
        a.mov(rsi, r10);
        a.sub(rsi, rcx);
        a.sar(si, cl);
        SumFlagsAndResult(a, rsi);
        a.mov(rdi, r10);
        a.sar(rdi, cl);
        a.adc(r11, rdi);
        a.mov(r12, r10);
        a.shl(r12b, cl);
        a.seto(r13b);
        a.shr(ah, cl);
        a.setc(r14b);
        a.add(r13, r14);
        a.add(r9, r12);
        a.ror(r10, 5);
        a.inc(ecx);
        a.cmp(ecx, 70);
        a.jb(loop);
        a.hlt();
    }

    /// <summary>Adds the whole RFLAGS image to R8 and the shifted register to R9.</summary>
    /// <remarks>AF and OF, which a shift by more than 1 leaves undefined, are masked out: the interpreter and the
    /// .NET tier compute one value, the host-code tier runs the shift on the host CPU, which may give another
    /// (ShiftDifferentialTests hold every tier to the host on the defined flags, OF at count 1 included).</remarks>
    private static void SumFlagsAndResult(Assembler a, AssemblerRegister64 shifted)
    {
        a.pushfq();
        a.pop(rbx);
        a.and(rbx, ~0x810);
        a.add(r8, rbx);
        a.add(r9, shifted);
    }

    [Fact]
    public void Shifts_by_cl_of_every_size_and_count_give_the_interpreters_result()
    {
        var outcome = AssertTiersAgree(ShiftByClLoop);
        Assert.Equal(CpuExitReason.Halt, outcome.Reason);
    }

    [Fact]
    public void Shifts_by_an_immediate_that_masks_to_zero_keep_the_flags_before_them()
    {
        // Host code loads the guest's flags before a shift by CL only (its count may be 0); one by an immediate
        // that masks to 0 (64 for 64-bit operands, 32 below) modifies none, and must leave CF and ZF as they were.
        var outcome = AssertTiersAgree(a =>
        {
            var loop = a.CreateLabel();
            a.mov(ecx, 50);
            a.mov(rax, 0x1234_5678_9ABC_DEF0);
            a.Label(ref loop);
            a.cmp(ecx, 25);              // CF set while ECX < 25
            a.mov(r11, __qword_ptr[Data]); // a memory operand between: host code's look-up moves the flags to their slot
            a.shl(rax, 64);              // masks to 0: flags kept
            a.adc(r8, 0);
            a.cmp(ecx, 30);              // ZF set once
            a.mov(r11, __qword_ptr[Data]);
            a.shr(edx, 32);              // masks to 0: flags kept
            a.setz(bl);
            a.add(r9, rbx);
            a.shr(rax, 3);               // a real count: flags the shift's own
            a.adc(r10, 0);
            a.dec(ecx);
            a.jnz(loop);
            a.hlt();
        });
        Assert.Equal(CpuExitReason.Halt, outcome.Reason);
        string[] registers = outcome.Registers.Split(',');
        Assert.Equal("18", registers[8]);  // R8: the 24 passes with ECX below 25
        Assert.Equal("1", registers[9]);   // R9: ZF once, at ECX = 30
    }

    [Fact]
    public void A_page_fault_after_a_rotate_delivers_the_rotates_flags()
    {
        var outcome = AssertTiersAgree(a =>
        {
            var loop = a.CreateLabel();
            a.mov(rsi, NotPresent - 0x100);
            a.xor(eax, eax);
            a.mov(rbx, 0x8000_0000_0000_0001);
            a.Label(ref loop);
            a.cmp(rax, rsi);
            a.ror(rbx, 1);
            a.imul(rax, __qword_ptr[rsi], 3);
            a.rol(rbx, 1);
            a.add(rsi, 8);
            a.jmp(loop);
        }, prepare: machine => machine.SetPageEntry(NotPresent, 0));
        Assert.Equal(14, outcome.Vector);
        Assert.Equal(NotPresent, outcome.Cr2);
    }

    [Fact]
    public void A_bit_string_instruction_reaching_an_unmapped_page_faults_there_in_every_tier()
    {
        // BTS [Data], RAX: passes with small bit offsets (Data's page is then in the TLB), then one whose
        // offset lies past Data's own bytes, in a page that is not present.
        var outcome = AssertTiersAgree(a =>
        {
            var loop = a.CreateLabel();
            a.mov(ecx, 40);
            a.Label(ref loop);
            a.mov(eax, 5);
            a.mov(rdx, (long)(NotPresent - Data) * 8 + 3);
            a.cmp(ecx, 1);
            a.cmove(rax, rdx);
            a.bts(__qword_ptr[Data], rax);
            a.dec(ecx);
            a.jnz(loop);
            a.hlt();
        }, prepare: machine => machine.SetPageEntry(NotPresent, 0));
        Assert.Equal(14, outcome.Vector);
        Assert.Equal(NotPresent, outcome.Cr2);
    }

    [Fact]
    public void Calls_returns_pushes_and_pops_in_compiled_blocks_give_the_interpreters_result()
    {
        var outcome = AssertTiersAgree(a =>
        {
            var loop = a.CreateLabel();
            var function = a.CreateLabel();
            var withArgument = a.CreateLabel();
            var done = a.CreateLabel();
            a.mov(ecx, 100);
            a.xor(eax, eax);
            a.Label(ref loop);
            a.push(rcx);
            a.push(rsp);
            a.pop(rbx);
            a.call(function);
            a.push(rax);
            a.call(withArgument);
            a.pop(rcx);
            a.dec(ecx);
            a.jnz(loop);
            a.push(rsp);
            a.pop(rsp);
            a.jmp(done);
            a.Label(ref function);
            a.push(rbp);
            a.push(r12);
            a.mov(rbp, rsp);
            a.lea(r12, __[rax + rcx * 2]);
            a.add(rax, r12);
            a.pop(r12);
            a.pop(rbp);
            a.ret();
            a.Label(ref withArgument);
            a.add(rax, __qword_ptr[rsp + 8]);
            a.ret(8);
            a.Label(ref done);
            a.hlt();
        });
        Assert.Equal(CpuExitReason.Halt, outcome.Reason);
    }

    [Fact]
    public void A_push_faulting_in_a_compiled_block_leaves_rsp_as_it_was()
    {
        var outcome = AssertTiersAgree(a =>
        {
            var loop = a.CreateLabel();
            a.mov(rdx, rsp);
            a.mov(rsp, NotPresent + 0x40);
            a.Label(ref loop);
            a.push(rax);
            a.inc(rax);
            a.jmp(loop);
        }, prepare: machine => machine.SetPageEntry(NotPresent, 0));
        // The #PF on the stack cannot be delivered either (RSP0 is used at CPL 0 only through IST-less
        // gates on the same stack), so both tiers must end alike, whatever the end is.
        Assert.NotEqual(CpuExitReason.BudgetExhausted, outcome.Reason);
    }

    [Fact]
    public void A_return_to_a_non_canonical_address_raises_general_protection_in_both_tiers()
    {
        var outcome = AssertTiersAgree(a =>
        {
            a.mov(rax, 0x0000_8000_0000_0000);
            a.push(rax);
            a.ret();
        });
        Assert.Equal(13, outcome.Vector);
    }

    [Fact]
    public void Nested_conditional_loops_with_a_pending_rotate_give_the_interpreters_result()
    {
        var outcome = AssertTiersAgree(a =>
        {
            var loop = a.CreateLabel();
            var skip = a.CreateLabel();
            a.xor(eax, eax);
            a.mov(ebx, 40);
            a.Label(ref loop);
            a.add(rax, 3);
            a.test(al, 4);
            a.jnz(loop);
            a.ror(rdx, 3);
            a.cmp(rax, 7);
            a.jb(skip);
            a.inc(rcx);
            a.Label(ref skip);
            a.sub(ebx, 1);
            a.jnz(loop);
            a.hlt();
        });
        Assert.Equal(CpuExitReason.Halt, outcome.Reason);
    }

    /// <summary>A loop whose body branches forward three times, taken and not taken in turns, one
    /// branch skipping a single instruction of its own block: a forward conditional branch does not
    /// end a block, so the body is one block left early whenever a branch is taken.</summary>
    private static void ForwardBranchLoop(Assembler a)
    {
        var loop = a.CreateLabel();
        var even = a.CreateLabel();
        var noBit1 = a.CreateLabel();
        var small = a.CreateLabel();
        a.mov(ecx, 500);
        a.xor(eax, eax);
        a.xor(ebx, ebx);
        a.xor(edx, edx);
        a.Label(ref loop);
        a.test(cl, 1);
        a.jz(even);
        a.add(eax, ecx);
        a.Label(ref even);
        a.test(cl, 2);
        a.jnz(noBit1);
        a.lea(ebx, __[rbx + rcx * 2]);
        a.rol(ebx, 1);
        a.Label(ref noBit1);
        a.cmp(ecx, 100);
        a.jb(small);
        a.adc(edx, 3);
        a.mov(__dword_ptr[Data], edx);
        a.Label(ref small);
        a.dec(ecx);
        a.jnz(loop);
        a.hlt();
    }

    [Fact]
    public void Forward_branches_inside_a_block_give_the_interpreters_result()
    {
        var outcome = AssertTiersAgree(ForwardBranchLoop);
        Assert.Equal(CpuExitReason.Halt, outcome.Reason);
        Assert.Equal(62_500.ToString("x"), outcome.Registers.Split(',')[0]); // RAX: the odd counts 1..499 summed
        Assert.Equal(401UL * 3, outcome.Data0); // EDX stored last at count 100: 3 added for each count from 500 down to 100
    }

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(97)]
    [InlineData(2222)]
    public void A_budget_ending_between_forward_branches_stops_at_the_same_instruction(long budget)
    {
        var outcome = AssertTiersAgree(ForwardBranchLoop, budget);
        Assert.Equal(CpuExitReason.BudgetExhausted, outcome.Reason);
    }

    /// <summary>A loop whose body jumps forward over bytes that would change the result (a direct
    /// JMP in its page: the block goes on at the target), then leaves through a taken forward branch
    /// into the skipped bytes' neighbourhood on its last pass.</summary>
    private static void JumpThroughLoop(Assembler a)
    {
        var loop = a.CreateLabel();
        var over = a.CreateLabel();
        var skipped = a.CreateLabel();
        var done = a.CreateLabel();
        a.mov(ecx, 300);
        a.xor(eax, eax);
        a.xor(edx, edx);
        a.Label(ref loop);
        a.add(eax, 3);
        a.jmp(over);
        a.Label(ref skipped);
        a.mov(eax, 0xDEAD); // never runs
        a.jmp(done);
        a.Label(ref over);
        a.add(edx, eax);
        a.dec(ecx);
        a.jnz(loop);
        a.Label(ref done);
        a.mov(__dword_ptr[Data], edx);
        a.hlt();
    }

    [Fact]
    public void A_block_continues_through_a_forward_jump_with_the_interpreters_result()
    {
        var outcome = AssertTiersAgree(JumpThroughLoop);
        Assert.Equal(CpuExitReason.Halt, outcome.Reason);
        Assert.Equal((300 * 3).ToString("x"), outcome.Registers.Split(',')[0]);
        Assert.Equal(3UL * 300 * 301 / 2, outcome.Data0); // EDX: 3 + 6 + ... + 900
        Assert.Equal(3UL + (5UL * 300) + 2, outcome.Retired); // set-up 3, five a pass (the JMP one of them), the tail 2
        // Compiled at first sight: the set-up with the first pass, the loop body, the tail. Ending
        // blocks at the JMP makes four (set-up to the JMP, the body from ADD EDX, from the loop's
        // start to the JMP, the tail).
        Run(JumpThroughLoop, 0, 1_000_000, out int blocks);
        Assert.Equal(3, blocks);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(9)]
    public void A_budget_ending_at_a_jump_the_block_continues_through_leaves_rip_at_its_target(long budget)
    {
        // Budget 5 stops right after the first JMP: the next instruction to run is ADD EDX, EAX.
        var outcome = AssertTiersAgree(JumpThroughLoop, budget);
        Assert.Equal(CpuExitReason.BudgetExhausted, outcome.Reason);
        Assert.Equal((ulong)budget, outcome.Retired);
        // Resumed from where the budget left RIP, the program ends as if never stopped (a RIP after
        // the JMP instead of at its target would run MOV EAX, 0xDEAD and leave the loop).
        Assert.Equal(Run(JumpThroughLoop, -1, 1_000_000, out _), RunThenResume(JumpThroughLoop, budget));
    }

    /// <summary>mov eax, 1; jmp rel32 over 1,000 bytes of ADD EAX, 1 (beyond the 960 bytes decoded
    /// from the block's start); add eax, 2; hlt.</summary>
    private static void FarForwardJump(Assembler a)
    {
        var target = a.CreateLabel();
        a.mov(eax, 1);
        a.jmp(target);
        for (int i = 0; i < 200; i++)
        {
            a.add(eax, 1); // 05 01 00 00 00 with EAX: five bytes
        }
        a.Label(ref target);
        a.add(eax, 2);
        a.hlt();
    }

    [Fact]
    public void A_jump_beyond_the_first_decode_window_continues_with_the_targets_own_bytes()
    {
        var outcome = AssertTiersAgree(FarForwardJump);
        Assert.Equal(CpuExitReason.Halt, outcome.Reason);
        Assert.Equal("3", outcome.Registers.Split(',')[0]);
        Assert.Equal(4UL, outcome.Retired);
        // One block, through the JMP (ending at it would make two: MOV and JMP, then ADD and HLT).
        Run(FarForwardJump, 0, 1_000_000, out int blocks);
        Assert.Equal(1, blocks);
    }

    [Fact]
    public void A_jump_to_an_instruction_crossing_the_page_end_ends_the_block_with_a_real_jump()
    {
        // At offset 3500 of the code page: mov eax, 1 (5 bytes); jmp rel32 (5); 584 filler bytes; at
        // 4094 a 10-byte MOV crossing into the next page. The block from 3500 ends with the JMP; the
        // crossing MOV is a block of its own.
        var outcome = AssertTiersAgree(a =>
        {
            var start = a.CreateLabel();
            var target = a.CreateLabel();
            a.jmp(start);
            a.db(new byte[3495]);
            a.Label(ref start);
            a.mov(eax, 1);
            a.jmp(target);
            a.db(new byte[584]);
            a.Label(ref target);
            a.mov(rax, 0x1122_3344_5566_7788);
            a.hlt();
        });
        Assert.Equal(CpuExitReason.Halt, outcome.Reason);
        Assert.Equal("1122334455667788", outcome.Registers.Split(',')[0]);
        Assert.Equal(5UL, outcome.Retired);
        Assert.Equal(LongModeMachine.KernelCode + 4096 + 8 + 1, outcome.Rip); // after the HLT that follows the crossing MOV
    }

    [Fact]
    public void A_jump_that_is_a_blocks_last_allowed_instruction_is_taken_as_a_real_jump()
    {
        // 63 ADDs and the JMP fill the 64-instruction block: the JMP ends it and is taken.
        var outcome = AssertTiersAgree(a =>
        {
            var target = a.CreateLabel();
            a.xor(eax, eax);
            for (int i = 0; i < 62; i++)
            {
                a.add(eax, 1);
            }
            a.jmp(target);
            a.mov(eax, 0xDEAD);
            a.Label(ref target);
            a.add(eax, 100);
            a.hlt();
        });
        Assert.Equal(CpuExitReason.Halt, outcome.Reason);
        Assert.Equal((62 + 100).ToString("x"), outcome.Registers.Split(',')[0]);
    }

    [Fact]
    public void A_loop_rewriting_its_own_immediate_runs_the_new_code()
    {
        // add eax, imm32 is patched through a store in the same loop: each pass adds the new value.
        var outcome = AssertTiersAgree(a =>
        {
            var loop = a.CreateLabel();
            a.xor(eax, eax);
            a.mov(ecx, 50);
            a.Label(ref loop);
            a.add(eax, 0x1000);
            a.lea(rdx, __[loop]);
            a.mov(__dword_ptr[rdx + 1], ecx);
            a.dec(ecx);
            a.jnz(loop);
            a.hlt();
        });
        Assert.Equal(CpuExitReason.Halt, outcome.Reason);
    }

    [Fact]
    public void A_page_fault_in_a_compiled_block_is_delivered_with_the_faulting_rip()
    {
        var outcome = AssertTiersAgree(a =>
        {
            var loop = a.CreateLabel();
            a.mov(rsi, NotPresent - 0x100);
            a.xor(eax, eax);
            a.Label(ref loop);
            a.add(rax, __qword_ptr[rsi]);
            a.add(rsi, 8);
            a.cmp(rax, -1);
            a.jne(loop);
            a.hlt();
        }, prepare: machine => machine.SetPageEntry(NotPresent, 0));
        Assert.Equal(14, outcome.Vector);
        Assert.Equal(NotPresent, outcome.Cr2);
    }

    /// <summary>A machine whose every block runs on one compiled tier from its first run.</summary>
    private static LongModeMachine OnTier(EngineTier tier)
    {
        var machine = new LongModeMachine();
        machine.Cpu.CompileThreshold = tier == EngineTier.Compiled ? 0 : -1;
        machine.Cpu.NativeCompileThreshold = tier == EngineTier.HostCode ? 0 : -1;
        return machine;
    }

    private static int BlocksOnTier(LongModeMachine machine, EngineTier tier) =>
        tier == EngineTier.HostCode ? machine.Cpu.BlocksTranslated : machine.Cpu.BlocksCompiled;

    [Theory, InlineData(EngineTier.Compiled), InlineData(EngineTier.HostCode)]
    public void A_compiled_endless_loop_stops_on_a_stop_request_from_another_thread(EngineTier tier)
    {
        using var machine = OnTier(tier);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            var loop = a.CreateLabel();
            a.Label(ref loop);
            a.add(rax, 1);
            a.jmp(loop);
        });
        using var stopper = new Timer(_ => machine.Cpu.RequestStop(), null, 100, Timeout.Infinite);

        var exit = machine.Cpu.Run();

        Assert.Equal(CpuExitReason.StopRequested, exit.Reason);
        Assert.True(BlocksOnTier(machine, tier) > 0);
        Assert.Equal(LongModeMachine.KernelCode, machine.Cpu.Rip);
        // Two instructions a pass, and every pass is counted.
        Assert.Equal(machine.Cpu.InstructionsRetired, 2 * machine.Register(GeneralRegister.Rax));
    }

    [Fact]
    public void A_loop_of_chained_host_code_blocks_stops_on_a_stop_request_and_counts_every_instruction()
    {
        using var machine = OnTier(EngineTier.HostCode);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            var loop = a.CreateLabel();
            var second = a.CreateLabel();
            var third = a.CreateLabel();
            a.Label(ref loop);
            a.add(rax, 1);
            a.jmp(second);
            a.nop();
            a.Label(ref second);
            a.add(rbx, 2);
            a.call(third);
            a.jmp(loop);
            a.Label(ref third);
            a.add(rcx, 3);
            a.ret();
        });
        machine.Cpu.SetRegister(GeneralRegister.Rsp, LongModeMachine.KernelStackTop);
        using var stopper = new Timer(_ => machine.Cpu.RequestStop(), null, 100, Timeout.Infinite);

        var exit = machine.Cpu.Run();

        Assert.Equal(CpuExitReason.StopRequested, exit.Reason);
        Assert.True(machine.Cpu.BlocksChained > 0, "no translated block was chained to another");
        // Stopped at some block boundary of the last pass: each of the three blocks with an ADD ran as
        // often as its register says (two instructions each), and the closing JMP once per finished pass.
        ulong first = machine.Register(GeneralRegister.Rax), second = machine.Register(GeneralRegister.Rbx) / 2;
        ulong third = machine.Register(GeneralRegister.Rcx) / 3;
        Assert.True(first > 1000, $"{first} passes");
        Assert.True(first >= second && second >= third && third + 1 >= first, $"{first}, {second}, {third}");
        ulong closingJumps = machine.Cpu.Rip == LongModeMachine.KernelCode ? first : first - 1;
        Assert.Equal(2 * (first + second + third) + closingJumps, machine.Cpu.InstructionsRetired);
    }

    [Theory, InlineData(EngineTier.Compiled), InlineData(EngineTier.HostCode)]
    public void A_compiled_loop_takes_an_interrupt_requested_from_another_thread_at_a_pass_boundary(EngineTier tier)
    {
        using var machine = OnTier(tier);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            var loop = a.CreateLabel();
            a.sti();
            a.Label(ref loop);
            a.add(rax, 1);
            a.jmp(loop);
        });
        using var interrupter = new Timer(_ => machine.Cpu.RequestInterrupt(0x40), null, 100, Timeout.Infinite);

        var exit = machine.Cpu.Run();

        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal(0x40, machine.VectorFromHaltRip());
        Assert.Equal(LongModeMachine.KernelCode + 1, machine.ReadUInt64(machine.Register(GeneralRegister.Rsp)));
        Assert.Equal(machine.Cpu.InstructionsRetired, 1 + 2 * machine.Register(GeneralRegister.Rax) + 1);
    }

    [Fact]
    public void An_mmio_read_in_a_compiled_block_exits_to_the_host_at_that_instruction()
    {
        var outcome = AssertTiersAgree(a =>
        {
            var loop = a.CreateLabel();
            a.mov(ecx, 20);
            a.mov(rdi, 0xFEC0_0000);
            a.Label(ref loop);
            a.add(rax, rcx);
            a.dec(ecx);
            a.jnz(loop);
            a.add(rax, 1);
            a.mov(rbx, rax);
            a.mov(edx, __dword_ptr[rdi]);
            a.hlt();
        }, prepare: machine =>
        {
            // 0xFEC00000 is mapped but lies outside RAM.
            machine.WriteUInt64(LongModeMachine.Pdpt + 3 * 8, 0xC000_0000 | 0x83);
        });
        Assert.Equal(CpuExitReason.MmioRead, outcome.Reason);
    }

    [Fact]
    public void Compiled_code_the_runtime_refuses_falls_back_to_the_interpreter_without_a_host_exception()
    {
        using var machine = new LongModeMachine();
        var cpu = machine.Cpu;
        cpu.CompileThreshold = 0;
        cpu.NativeCompileThreshold = -1; // the .NET tier's own behaviour
        cpu.Compiler = _ => (_, _) => throw new InvalidProgramException("as the JIT rejects invalid IL");
        // A unique immediate: the compiled-code cache is shared by the process and keyed by the bytes.
        ulong unique = (ulong)Random.Shared.NextInt64();
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(rax, unique);
            a.mov(ecx, 1000);
            var loop = a.CreateLabel();
            a.Label(ref loop);
            a.add(rax, rcx);
            a.dec(ecx);
            a.jnz(loop);
            a.hlt();
        });

        var exit = cpu.Run(1_000_000);

        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal(unique + 500_500, cpu.GetRegister(GeneralRegister.Rax));
        Assert.True(cpu.CompileFailures >= 1);
    }

    /// <summary>Two million passes of a four-instruction loop from RAX = <paramref name="start"/>: long enough
    /// for a block compiler thread to hand its work over while it runs.</summary>
    private static void BackgroundLoop(Assembler a, ulong start)
    {
        a.mov(rax, start);
        a.mov(ecx, 2_000_000);
        var loop = a.CreateLabel();
        a.Label(ref loop);
        a.add(rax, rcx);
        a.xor(rax, 0x55);
        a.dec(ecx);
        a.jnz(loop);
        a.hlt();
    }

    private static ulong BackgroundLoopResult(ulong start)
    {
        ulong expected = start;
        for (ulong i = 2_000_000; i > 0; i--)
        {
            expected = (expected + i) ^ 0x55;
        }
        return expected;
    }

    [Fact]
    public void A_block_compiled_in_the_background_takes_over_and_gives_the_interpreters_results()
    {
        using var machine = new LongModeMachine();
        var cpu = machine.Cpu;
        cpu.CompileThreshold = 0;
        cpu.NativeCompileThreshold = -1; // the .NET tier's own behaviour
        cpu.CompileInBackground = true;
        ulong unique = (ulong)Random.Shared.NextInt64(); // the compiled-code cache is keyed by the bytes
        machine.Assemble(LongModeMachine.KernelCode, a => BackgroundLoop(a, unique));
        long published = Turnstone.Cpu.Internal.BackgroundBlockCompiler.Published;

        Assert.Equal(CpuExitReason.Halt, cpu.Run(100_000_000).Reason);

        Assert.Equal(BackgroundLoopResult(unique), cpu.GetRegister(GeneralRegister.Rax));
        Assert.True(Turnstone.Cpu.Internal.BackgroundBlockCompiler.Published > published, "no block was compiled in the background");
        Assert.Equal(0, cpu.BlocksCompiled); // none was compiled on the vCPU's thread
    }

    [Fact]
    public void A_block_translated_in_the_background_is_adopted_by_its_vcpu_and_gives_the_interpreters_results()
    {
        using var machine = OnTier(EngineTier.HostCode);
        var cpu = machine.Cpu;
        cpu.CompileInBackground = true;
        machine.Assemble(LongModeMachine.KernelCode, a => BackgroundLoop(a, 0x1234_5678));

        Assert.Equal(CpuExitReason.Halt, cpu.Run(100_000_000).Reason);

        Assert.Equal(BackgroundLoopResult(0x1234_5678), cpu.GetRegister(GeneralRegister.Rax));
        Assert.True(cpu.BlocksTranslated > 0, "no translation was adopted");
        Assert.Equal(8_000_003UL, cpu.InstructionsRetired);
    }

    [Fact]
    public void Single_string_instructions_in_compiled_blocks_ignore_es_base_follow_df_and_fault_before_moving_the_indexes()
    {
        var outcome = AssertTiersAgree(a =>
        {
            var copy = a.CreateLabel();
            var back = a.CreateLabel();
            // MOVSB forward (ES's base is not used in 64-bit mode), then STOSD and LODSW downwards,
            // then MOVSQ forward until the destination reaches a page that is not present.
            a.mov(rsi, Data);
            a.mov(rdi, Data + 0x100);
            a.mov(ecx, 24);
            a.Label(ref copy);
            a.movsb();
            a.dec(ecx);
            a.jnz(copy);
            a.std();
            a.mov(eax, 0x1122_3344);
            a.mov(rdi, Data + 0x23C);
            a.stosd();
            a.stosd();
            a.mov(rsi, Data + 0x23E);
            a.mov(ecx, 4);
            a.Label(ref back);
            a.lodsw();
            a.add(ebx, eax);
            a.dec(ecx);
            a.jnz(back);
            a.cld();
            a.mov(rsi, Data);
            a.mov(rdi, NotPresent - 0x20);
            var fault = a.CreateLabel();
            a.Label(ref fault);
            a.movsq();
            a.jmp(fault);
        }, prepare: machine =>
        {
            machine.SetPageEntry(NotPresent, 0);
            machine.Cpu.SetSegment(SegmentName.Es, new SegmentRegister(LongModeMachine.KernelDataSelector, 0x4000, 0xFFFF_FFFF, 0xC093));
            for (ulong i = 0; i < 32; i++)
            {
                machine.WriteBytes(Data + i, [(byte)(i * 5 + 3)]);
            }
        });

        Assert.Equal(14, outcome.Vector);
        Assert.Equal(NotPresent, outcome.Cr2);
        string[] registers = outcome.Registers.Split(',');
        Assert.Equal((Data + 0x20).ToString("x"), registers[6]);       // RSI: four MOVSQ copied, the fifth faulted
        Assert.Equal(NotPresent.ToString("x"), registers[7]);          // RDI at the page that is not present
    }
}

