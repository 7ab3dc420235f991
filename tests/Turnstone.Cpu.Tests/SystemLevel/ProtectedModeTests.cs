using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>32-bit protected mode without paging (the state a PVH entry starts in): flat code,
/// segment bases, the 32-bit stack and branches, and the switch to long mode through PAE paging
/// and a far transfer, as Linux's startup_32 and the test guests do it.</summary>
public sealed class ProtectedModeTests
{
    private const ulong Target64 = LegacyModeMachine.Code + 0x1000;

    [Fact]
    public void Flat_32_bit_code_computes_calls_and_stores()
    {
        using var machine = new LegacyModeMachine();
        machine.EnterProtectedMode32();
        machine.Assemble(LegacyModeMachine.Code, 32, a =>
        {
            var function = a.CreateLabel();
            var loop = a.CreateLabel();
            var done = a.CreateLabel();
            a.mov(eax, 5);
            a.mov(ecx, 10);
            a.Label(ref loop);
            a.add(eax, ecx);
            a.loop(loop);                       // eax = 5 + 55
            a.push(eax);
            a.push(0x1234);
            a.pop(ebx);                         // 0x1234
            a.pop(edx);                         // 60
            a.call(function);
            a.call(__dword_ptr[LegacyModeMachine.DataPage + 8]);   // near indirect through memory
            a.mov(__dword_ptr[LegacyModeMachine.DataPage], eax);
            a.mov(__word_ptr[LegacyModeMachine.DataPage + 4], bx);
            a.pushfd();
            a.pop(edi);
            a.lea(esi, __[ebx + edx * 4 - 4]);
            a.jmp(done);
            a.Label(ref function);
            a.shl(eax, 1);                      // 120
            a.ret();
            a.Label(ref done);
            a.hlt();
        });

        machine.WriteUInt32(LegacyModeMachine.DataPage + 8, (uint)LegacyModeMachine.Code + 0x300);
        machine.Assemble(LegacyModeMachine.Code + 0x300, 32, a =>
        {
            a.mov(ebp, 0x77);
            a.ret();
        });

        var exit = machine.Cpu.Run(1000);

        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal(0x77UL, machine.Register(GeneralRegister.Rbp));
        Assert.Equal(120UL, machine.Register(GeneralRegister.Rax));
        Assert.Equal(0x1234UL, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(60UL, machine.Register(GeneralRegister.Rdx));
        Assert.Equal(0x1234UL + 240 - 4, machine.Register(GeneralRegister.Rsi));
        Assert.Equal(120U, machine.ReadUInt32(LegacyModeMachine.DataPage));
        Assert.Equal(0x1234, machine.ReadUInt16(LegacyModeMachine.DataPage + 4));
        Assert.Equal(LegacyModeMachine.StackTop, machine.Register(GeneralRegister.Rsp));
        Assert.Equal(2UL, machine.Register(GeneralRegister.Rdi) & 0xFFFF_FF02); // PUSHFD: bit 1 set, no stray bits
    }

    [Fact]
    public void Memory_operands_add_the_segment_base_and_string_instructions_use_es()
    {
        using var machine = new LegacyModeMachine();
        machine.EnterProtectedMode32();
        machine.WriteUInt32(LegacyModeMachine.Based32Base + 0x100, 0xCAFE_F00D);
        machine.Assemble(LegacyModeMachine.Code, 32, a =>
        {
            a.mov(ax, LegacyModeMachine.Based32Selector);
            a.mov(ds, ax);
            a.mov(ebx, __dword_ptr[0x100]);                 // DS base 1 MiB
            a.mov(__dword_ptr[0x104], ebx);
            a.mov(esi, 0x100);
            a.mov(edi, (uint)LegacyModeMachine.DataPage);    // ES stays flat
            a.mov(ecx, 2);
            a.rep.movsd();
            a.mov(ax, LegacyModeMachine.Data32Selector);
            a.mov(ds, ax);
            a.mov(edx, __dword_ptr[(uint)LegacyModeMachine.DataPage + 4]);
            a.hlt();
        });

        var exit = machine.Cpu.Run(1000);

        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal(0xCAFE_F00DUL, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(0xCAFE_F00DU, machine.ReadUInt32(LegacyModeMachine.DataPage));
        Assert.Equal(0xCAFE_F00DUL, machine.Register(GeneralRegister.Rdx));
    }

    /// <summary>LGDT, CR4.PAE, EFER.LME, CR3, CR0.PG, then a far transfer into the 64-bit segment.</summary>
    private static void AssembleLongModeSwitch(LegacyModeMachine machine, string farForm)
    {
        machine.Assemble(LegacyModeMachine.Code, 32, a =>
        {
            a.lgdt(__fword_ptr[(uint)LegacyModeMachine.GdtPointer]);
            a.mov(eax, cr4);
            a.or(eax, 1 << 5);
            a.mov(cr4, eax);
            a.mov(ecx, 0xC000_0080);
            a.rdmsr();
            a.or(eax, 1 << 8);
            a.wrmsr();
            a.mov(eax, (uint)LegacyModeMachine.Pml4);
            a.mov(cr3, eax);
            a.mov(eax, cr0);
            a.or(eax, unchecked((int)0x8000_0000));
            a.mov(cr0, eax);
            switch (farForm)
            {
                case "jmp":
                    a.jmp(LegacyModeMachine.Code64Selector, (uint)Target64);
                    break;
                case "retf":
                    a.push(LegacyModeMachine.Code64Selector);
                    a.push((int)Target64);
                    a.retf();
                    break;
                case "jmp-memory":
                    a.mov(__dword_ptr[(uint)LegacyModeMachine.DataPage], (uint)Target64);
                    a.mov(__word_ptr[(uint)LegacyModeMachine.DataPage + 4], LegacyModeMachine.Code64Selector);
                    a.jmp(__fword_ptr[(uint)LegacyModeMachine.DataPage]);
                    break;
            }
        });
        machine.Assemble(Target64, 64, a =>
        {
            a.mov(rax, 0x1122_3344_5566_7788);
            a.mov(__qword_ptr[LegacyModeMachine.DataPage + 8], rax);
            a.mov(rbx, rsp);
            a.@out(0xE9, al);
        });
    }

    [Theory]
    [InlineData("jmp")]
    [InlineData("retf")]
    [InlineData("jmp-memory")]
    public void The_switch_from_protected_mode_to_long_mode_reaches_64_bit_code(string farForm)
    {
        using var machine = new LegacyModeMachine();
        machine.EnterProtectedMode32();
        AssembleLongModeSwitch(machine, farForm);
        Assert.Equal(0, machine.Cpu.FirstLongModeEntryTimestamp);
        long beforeRun = System.Diagnostics.Stopwatch.GetTimestamp();

        var exit = machine.Cpu.Run(1000);

        Assert.Equal(CpuExitReason.PortWrite, exit.Reason);
        Assert.Equal(0xE9, exit.Port);
        Assert.Equal(0x1122_3344_5566_7788UL, machine.ReadUInt64(LegacyModeMachine.DataPage + 8));
        Assert.Equal(LegacyModeMachine.Code64Selector, machine.Cpu.GetSegment(SegmentName.Cs).Selector);
        Assert.NotEqual(0UL, machine.Cpu.Efer & (1 << 10)); // LMA
        Assert.Equal(LegacyModeMachine.StackTop, machine.Register(GeneralRegister.Rbx));
        Assert.InRange(machine.Cpu.FirstLongModeEntryTimestamp, beforeRun, System.Diagnostics.Stopwatch.GetTimestamp());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Protected_mode_paging_translates_with_32_bit_and_pae_tables(bool pae)
    {
        using var machine = new LegacyModeMachine();
        machine.EnterProtectedMode32();
        const ulong tables = 0x80000;
        const uint mappedAt = 0x4000_0000; // 1 GiB, mapped onto DataPage
        if (pae)
        {
            // PDPT at tables; PD for 0-1 GiB (a 2 MiB identity page) and for 1-2 GiB (a 4 KiB table).
            machine.WriteUInt64(tables, (tables + 0x1000) | 1);
            machine.WriteUInt64(tables + 8, (tables + 0x2000) | 1);
            machine.WriteUInt64(tables + 0x1000, 0x83);
            machine.WriteUInt64(tables + 0x2000, (tables + 0x3000) | 3);
            machine.WriteUInt64(tables + 0x3000, LegacyModeMachine.DataPage | 3);
        }
        else
        {
            // PD at tables: a 4 MiB identity page (CR4.PSE) and a page table for 1 GiB.
            machine.WriteUInt32(tables, 0x83);
            machine.WriteUInt32(tables + (mappedAt >> 22) * 4, (uint)(tables + 0x1000) | 3);
            machine.WriteUInt32(tables + 0x1000, (uint)LegacyModeMachine.DataPage | 3);
        }
        machine.WriteUInt32(LegacyModeMachine.DataPage + 0x10, 0xABCD_1234);
        machine.Assemble(LegacyModeMachine.Code, 32, a =>
        {
            a.mov(eax, pae ? 1 << 5 : 1 << 4);
            a.mov(cr4, eax);
            a.mov(eax, (uint)tables);
            a.mov(cr3, eax);
            a.mov(eax, cr0);
            a.or(eax, unchecked((int)0x8000_0000));
            a.mov(cr0, eax);
            a.mov(ebx, __dword_ptr[mappedAt + 0x10]);
            a.mov(__dword_ptr[mappedAt + 0x20], ebx);
            a.mov(edx, __dword_ptr[mappedAt + 0x1010]); // not mapped: #PF
            a.hlt();
        });

        var exit = machine.Cpu.Run(1000);

        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal(14, machine.VectorFromHaltRip());
        Assert.Equal(0xABCD_1234UL, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(0xABCD_1234U, machine.ReadUInt32(LegacyModeMachine.DataPage + 0x20));
        Assert.Equal(mappedAt + 0x1010UL, machine.Cpu.Cr2);
        Assert.Equal(LegacyModeMachine.StackTop - 16, machine.Register(GeneralRegister.Rsp));
        Assert.Equal(0U, machine.ReadUInt32(LegacyModeMachine.StackTop - 16)); // error code: not present, read, supervisor
    }

    [Fact]
    public void A_general_protection_fault_arrives_through_the_32_bit_idt_with_its_error_code()
    {
        using var machine = new LegacyModeMachine();
        machine.EnterProtectedMode32();
        machine.Assemble(LegacyModeMachine.Code, 32, a =>
        {
            a.mov(ax, 0x1234);
            a.mov(ds, ax);
        });

        var exit = machine.Cpu.Run(1000);

        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal(13, machine.VectorFromHaltRip());
        ulong esp = machine.Register(GeneralRegister.Rsp);
        Assert.Equal(LegacyModeMachine.StackTop - 16, esp);
        Assert.Equal(0x1234U, machine.ReadUInt32(esp));                                // error code: the selector (TI set)
        Assert.Equal((uint)LegacyModeMachine.Code + 4, machine.ReadUInt32(esp + 4));  // EIP of the faulting MOV
        Assert.Equal(LegacyModeMachine.Code32Selector, machine.ReadUInt32(esp + 8));
    }

    [Fact]
    public void An_interrupt_from_ring_3_switches_to_the_tss_stack_and_iretd_returns()
    {
        using var machine = new LegacyModeMachine();
        machine.EnterProtectedMode32();
        const ulong handler = LegacyModeMachine.Code + 0x800;
        const ulong user = LegacyModeMachine.Code + 0x400;
        machine.SetGate32(0x80, (uint)handler, dpl: 3);
        machine.Assemble(handler, 32, a =>
        {
            a.mov(ebx, esp);
            a.mov(ecx, __dword_ptr[esp + 16]); // the user SS
            a.add(eax, 1);
            a.iretd();
        });
        machine.Assemble(user, 32, a =>
        {
            a.mov(eax, 41);
            a.@int(0x80);
            a.mov(edx, esp);
            a.@out(0xE9, al);
        });
        machine.Cpu.SetSegment(SegmentName.Cs, new SegmentRegister(LegacyModeMachine.UserCode32Selector, 0, 0xFFFF_FFFF, 0xC0FB));
        machine.Cpu.SetSegment(SegmentName.Ss, new SegmentRegister(LegacyModeMachine.UserData32Selector, 0, 0xFFFF_FFFF, 0xC0F3));
        machine.Cpu.SetRegister(GeneralRegister.Rsp, 0x28000);
        machine.Cpu.Rip = user;

        var exit = machine.Cpu.Run(1000);

        Assert.Equal(CpuExitReason.PortWrite, exit.Reason);
        Assert.Equal(42UL, machine.Register(GeneralRegister.Rax));
        Assert.Equal(LegacyModeMachine.InnerStackTop - 20, machine.Register(GeneralRegister.Rbx));
        Assert.Equal((ulong)LegacyModeMachine.UserData32Selector, machine.Register(GeneralRegister.Rcx));
        Assert.Equal(0x28000UL, machine.Register(GeneralRegister.Rdx));
        Assert.Equal(3, machine.Cpu.Cpl);
    }

    [Fact]
    public void Ltr_in_protected_mode_reads_an_8_byte_descriptor_and_marks_it_busy()
    {
        // The descriptor after the TSS's (Based32) is not part of it outside long mode: a 16-byte
        // read would take its bytes as the upper base. SYSLINUX loads its TSS this way.
        using var machine = new LegacyModeMachine();
        machine.EnterProtectedMode32();
        machine.Cpu.Tr = new SegmentRegister(0, 0, 0xFFFF, 0x8B);
        machine.Assemble(LegacyModeMachine.Code, 32, a =>
        {
            a.mov(ax, LegacyModeMachine.TssSelector);
            a.ltr(ax);
            a.hlt();
        });

        var exit = machine.Cpu.Run(100);

        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal(LegacyModeMachine.Tss, machine.Cpu.Tr.Base);
        Assert.Equal(0x67u, machine.Cpu.Tr.Limit);
        Assert.Equal(0x8B, machine.Cpu.Tr.Attributes & 0xFF);
        Assert.Equal(0x8BUL, (machine.ReadUInt64(LegacyModeMachine.Gdt + LegacyModeMachine.TssSelector) >> 40) & 0xFF);
    }

    [Fact]
    public void A_fault_while_delivering_a_fault_is_a_double_fault_and_then_a_shutdown()
    {
        using var machine = new LegacyModeMachine();
        machine.EnterProtectedMode32();
        machine.Cpu.Idtr = new DescriptorTableRegister(LegacyModeMachine.Idt, 8 * 8 + 7);
        machine.WriteUInt64(LegacyModeMachine.Idt + 13 * 8, 0); // #GP's gate not present: #NP -> #DF
        machine.Assemble(LegacyModeMachine.Code, 32, a => a.mov(ds, ax));
        machine.Cpu.SetRegister(GeneralRegister.Rax, 0x1234);

        var exit = machine.Cpu.Run(1000);
        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal(8, machine.VectorFromHaltRip());

        machine.WriteUInt64(LegacyModeMachine.Idt + 8 * 8, 0);
        machine.EnterProtectedMode32();
        machine.Cpu.Halted = false;
        machine.Cpu.Idtr = new DescriptorTableRegister(LegacyModeMachine.Idt, 8 * 8 + 7);
        exit = machine.Cpu.Run(1000);
        Assert.Equal(CpuExitReason.Shutdown, exit.Reason);
    }

    [Fact]
    public void Lar_lsl_verr_and_verw_report_what_the_descriptors_allow()
    {
        using var machine = new LegacyModeMachine();
        machine.EnterProtectedMode32();
        machine.Assemble(LegacyModeMachine.Code, 32, a =>
        {
            a.mov(ecx, LegacyModeMachine.Code32Selector);
            a.lar(eax, ecx);
            a.setz(__byte_ptr[(uint)LegacyModeMachine.DataPage]);
            a.lsl(ebx, ecx);
            a.verw(cx);                                         // code: not writable
            a.setz(__byte_ptr[(uint)LegacyModeMachine.DataPage + 1]);
            a.mov(dx, LegacyModeMachine.Data32Selector);
            a.verw(dx);
            a.setz(__byte_ptr[(uint)LegacyModeMachine.DataPage + 2]);
            a.verr(cx);
            a.setz(__byte_ptr[(uint)LegacyModeMachine.DataPage + 3]);
            a.mov(esi, 0x1238);                                 // past the GDT limit
            a.lar(edi, esi);
            a.setz(__byte_ptr[(uint)LegacyModeMachine.DataPage + 4]);
            a.hlt();
        });

        var exit = machine.Cpu.Run(1000);

        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal(0x00C0_9B00UL, machine.Register(GeneralRegister.Rax) & 0x00FF_FF00 | 0x100); // accessed bit may be set
        Assert.Equal(0xFFFF_FFFFUL, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(0x0000_0101_0001UL, machine.ReadUInt64(LegacyModeMachine.DataPage) & 0xFF_FFFF_FFFF);
    }

    [Fact]
    public void Sysenter_and_sysexit_switch_between_the_flat_ring_0_and_ring_3_segments()
    {
        using var machine = new LegacyModeMachine();
        machine.EnterProtectedMode32();
        const ulong kernelEntry = LegacyModeMachine.Code + 0x800;
        const ulong user = LegacyModeMachine.Code + 0x400;
        Assert.True(machine.Cpu.TryWriteMsr(ModelSpecificRegister.SysenterCs, LegacyModeMachine.Code32Selector));
        Assert.True(machine.Cpu.TryWriteMsr(ModelSpecificRegister.SysenterEsp, LegacyModeMachine.InnerStackTop));
        Assert.True(machine.Cpu.TryWriteMsr(ModelSpecificRegister.SysenterEip, kernelEntry));
        machine.Assemble(LegacyModeMachine.Code, 32, a =>
        {
            a.mov(edx, (uint)user);
            a.mov(ecx, 0x28000);
            a.sysexit();
        });
        machine.Assemble(user, 32, a =>
        {
            a.mov(eax, cs);
            a.mov(ebx, esp);
            a.sysenter();
        });
        machine.Assemble(kernelEntry, 32, a =>
        {
            a.mov(ecx, esp);
            a.mov(edx, ss);
            a.hlt();
        });

        var exit = machine.Cpu.Run(1000);

        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal((ulong)(LegacyModeMachine.Code32Selector + 16 | 3), machine.Register(GeneralRegister.Rax));
        Assert.Equal(0x28000UL, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(LegacyModeMachine.InnerStackTop, machine.Register(GeneralRegister.Rcx));
        Assert.Equal((ulong)LegacyModeMachine.Data32Selector, machine.Register(GeneralRegister.Rdx));
        Assert.Equal(0, machine.Cpu.Cpl);
    }

    [Fact]
    public void A_far_return_to_ring_3_loads_the_outer_stack_and_ring_3_code_reaches_the_kernel_through_int()
    {
        using var machine = new LegacyModeMachine();
        machine.EnterProtectedMode32();
        const ulong user = LegacyModeMachine.Code + 0x400;
        machine.SetGate32(0x80, (uint)(LegacyModeMachine.HandlerStubs + 0x80 * 16), dpl: 3);
        machine.Assemble(LegacyModeMachine.Code, 32, a =>
        {
            a.push(LegacyModeMachine.UserData32Selector);
            a.push(0x28000);
            a.push(LegacyModeMachine.UserCode32Selector);
            a.push((int)user);
            a.retf();
        });
        machine.Assemble(user, 32, a =>
        {
            a.mov(eax, cs);
            a.mov(ebx, ss);
            a.mov(ecx, esp);
            a.@int(0x80);
        });

        var exit = machine.Cpu.Run(1000);

        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal(0x80, machine.VectorFromHaltRip());
        Assert.Equal((ulong)LegacyModeMachine.UserCode32Selector, machine.Register(GeneralRegister.Rax));
        Assert.Equal((ulong)LegacyModeMachine.UserData32Selector, machine.Register(GeneralRegister.Rbx));
        Assert.Equal(0x28000UL, machine.Register(GeneralRegister.Rcx));
        Assert.Equal(LegacyModeMachine.InnerStackTop - 20, machine.Register(GeneralRegister.Rsp));
    }

    [Theory]
    [InlineData("into", 4)]
    [InlineData("bound", 5)]
    [InlineData("arpl", 6)]
    public void Into_bound_and_arpl_behave_as_in_32_bit_code(string instruction, int expectedVector)
    {
        using var machine = new LegacyModeMachine();
        machine.EnterProtectedMode32();
        machine.WriteUInt32(LegacyModeMachine.DataPage, 10);
        machine.WriteUInt32(LegacyModeMachine.DataPage + 4, 20);
        machine.Assemble(LegacyModeMachine.Code, 32, a =>
        {
            switch (instruction)
            {
                case "into":
                    a.mov(eax, 1);
                    a.into();                                   // OF clear: nothing
                    a.mov(al, 127);
                    a.add(al, 1);
                    a.into();
                    break;
                case "bound":
                    a.mov(eax, 15);
                    a.bound(eax, __qword_ptr[(uint)LegacyModeMachine.DataPage]);
                    a.mov(eax, 21);
                    a.bound(eax, __qword_ptr[(uint)LegacyModeMachine.DataPage]);
                    break;
                default:
                    a.mov(eax, 0x10);
                    a.mov(ecx, 0x3);
                    a.arpl(ax, cx);                             // RPL 0 < 3: raised, ZF set
                    a.setz(bl);
                    a.ud2();
                    break;
            }
        });

        var exit = machine.Cpu.Run(1000);

        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal(expectedVector, machine.VectorFromHaltRip());
        if (instruction == "arpl")
        {
            Assert.Equal(0x13UL, machine.Register(GeneralRegister.Rax));
            Assert.Equal(1UL, machine.Register(GeneralRegister.Rbx) & 0xFF);
        }
    }

    [Fact]
    public void The_same_bytes_decode_anew_when_they_run_as_16_bit_code()
    {
        using var machine = new LegacyModeMachine();
        machine.EnterProtectedMode32();
        // 32-bit: mov eax, 0x12345678; hlt. 16-bit: mov ax, 0x5678; xor al, 0x12; hlt.
        machine.WriteBytes(LegacyModeMachine.Code, [0xB8, 0x78, 0x56, 0x34, 0x12, 0xF4]);

        var exit = machine.Cpu.Run(100);
        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal(0x1234_5678UL, machine.Register(GeneralRegister.Rax));

        // IP is 16 bits: the 16-bit segment is based at the code.
        machine.Cpu.SetSegment(SegmentName.Cs, new SegmentRegister(LegacyModeMachine.Code16Selector, LegacyModeMachine.Code, 0xFFFF, 0x009B));
        machine.Cpu.SetRegister(GeneralRegister.Rax, 0);
        machine.Cpu.Rip = 0;
        machine.Cpu.Halted = false;
        exit = machine.Cpu.Run(100);

        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal(0x566AUL, machine.Register(GeneralRegister.Rax));
        Assert.Equal(6UL, machine.Cpu.Rip);
    }

    [Fact]
    public void An_interrupt_through_a_16_bit_gate_pushes_a_16_bit_frame()
    {
        using var machine = new LegacyModeMachine();
        machine.EnterProtectedMode32();
        const ulong handler = 0x9000;
        ulong gate = (handler & 0xFFFF) | ((ulong)LegacyModeMachine.Code16Selector << 16) | (0x86UL << 40);
        machine.WriteUInt64(LegacyModeMachine.Idt + 0x40 * 8, gate);
        machine.Assemble(handler, 16, a =>
        {
            a.mov(bx, sp);
            a.iret();
        });
        // A 16-bit frame holds a 16-bit IP: the interrupted code sits below 64 KiB.
        const ulong code = 0x8800;
        machine.EnterProtectedMode32(code);
        machine.Assemble(code, 32, a =>
        {
            a.@int(0x40);
            a.mov(ecx, esp);
            a.hlt();
        });

        var exit = machine.Cpu.Run(100);

        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal((LegacyModeMachine.StackTop - 6) & 0xFFFF, machine.Register(GeneralRegister.Rbx) & 0xFFFF);
        Assert.Equal(LegacyModeMachine.StackTop, machine.Register(GeneralRegister.Rcx));
        Assert.Equal(code + 2 + 2 + 1, machine.Cpu.Rip);
    }

    [Fact]
    public void The_bcd_adjustments_follow_the_sdm()
    {
        using var machine = new LegacyModeMachine();
        machine.EnterProtectedMode32();
        ulong data = LegacyModeMachine.DataPage;
        machine.Assemble(LegacyModeMachine.Code, 32, a =>
        {
            a.mov(al, 0x38);
            a.add(al, 0x45);                               // 0x7D
            a.daa();                                       // 83 BCD
            a.mov(__byte_ptr[(uint)data], al);
            a.mov(al, 0x83);
            a.sub(al, 0x38);                               // 0x4B
            a.das();                                       // 45 BCD
            a.mov(__byte_ptr[(uint)data + 1], al);
            a.mov(ax, 0x0008);
            a.add(al, 0x09);                               // 8 + 9 unpacked
            a.aaa();                                       // AH 1, AL 7
            a.mov(__word_ptr[(uint)data + 2], ax);
            a.mov(al, 63);
            a.aam(10);                                     // AH 6, AL 3
            a.mov(__word_ptr[(uint)data + 4], ax);
            a.mov(ax, 0x0702);
            a.aad(10);                                     // 72
            a.mov(__word_ptr[(uint)data + 6], ax);
            a.stc();
            a.salc();
            a.mov(__byte_ptr[(uint)data + 8], al);
            a.mov(ax, 0x0203);
            a.sub(al, 5);                                  // AL FE, AF set
            a.aas();                                       // AX 02FE - 6 = 02F8, AH - 1: 0108
            a.mov(__word_ptr[(uint)data + 10], ax);
            a.mov(bl, 0);
            a.aam(0);                                      // #DE
        });

        var exit = machine.Cpu.Run(1000);

        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal(0, machine.VectorFromHaltRip());
        Assert.Equal(0x83, machine.ReadUInt16(data) & 0xFF);
        Assert.Equal(0x45, machine.ReadUInt16(data + 1) & 0xFF);
        Assert.Equal(0x0107, machine.ReadUInt16(data + 2));
        Assert.Equal(0x0603, machine.ReadUInt16(data + 4));
        Assert.Equal(72, machine.ReadUInt16(data + 6));
        Assert.Equal(0xFF, machine.ReadUInt16(data + 8) & 0xFF);
        Assert.Equal(0x0108, machine.ReadUInt16(data + 10));
    }

    [Fact]
    public void Thirty_two_bit_frames_pushad_popad_and_16_bit_pushes_use_esp()
    {
        using var machine = new LegacyModeMachine();
        machine.EnterProtectedMode32();
        machine.Assemble(LegacyModeMachine.Code, 32, a =>
        {
            a.mov(ebp, 0x1111);
            a.enter(8, 0);
            a.mov(__dword_ptr[ebp - 4], 0xABCD);
            a.mov(esi, __dword_ptr[ebp - 4]);
            a.mov(edi, esp);
            a.leave();
            a.mov(eax, 1);
            a.mov(ecx, 2);
            a.pushad();
            a.mov(eax, 0);
            a.mov(ecx, 0);
            a.popad();
            a.push(cx);                      // 16-bit push in 32-bit code
            a.pop(dx);
            a.hlt();
        });

        var exit = machine.Cpu.Run(1000);

        ulong top = LegacyModeMachine.StackTop;
        Assert.Equal(CpuExitReason.Halt, exit.Reason);
        Assert.Equal(0xABCDUL, machine.Register(GeneralRegister.Rsi));
        Assert.Equal(top - 4 - 8, machine.Register(GeneralRegister.Rdi));
        Assert.Equal(0x1111UL, machine.Register(GeneralRegister.Rbp));
        Assert.Equal(1UL, machine.Register(GeneralRegister.Rax));
        Assert.Equal(2UL, machine.Register(GeneralRegister.Rcx));
        Assert.Equal(2UL, machine.Register(GeneralRegister.Rdx) & 0xFFFF);
        Assert.Equal(top, machine.Register(GeneralRegister.Rsp));
        Assert.Equal(top, machine.ReadUInt32(top - 20)); // PUSHAD: the fifth slot holds the original ESP
    }
}
