using Iced.Intel;
using Turnstone.Cpu.Engine;
using Turnstone.Engine;
using Turnstone.GuestMemory;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.Engine;

/// <summary>
/// The software engine behind the engine interface, without KVM: a flat 64-bit machine at CPL 0
/// (identity-mapped 2 MiB pages) set up through <see cref="IEngineVcpu.SetSystemRegisters"/>, its
/// exits, registers, kick, extended state and the dirty-page log snapshots rely on.
/// </summary>
public sealed class SoftwareEngineTests : IDisposable
{
    private const ulong Pml4 = 0x1000, Pdpt = 0x2000, PageDirectory = 0x3000, Gdt = 0x4000, Code = 0x10000, Data = 0x20_0000;
    private const ulong MemorySize = 8 << 20;
    private readonly SoftwareEngine _engine = new();
    private readonly IEngineMachine _machine;

    public SoftwareEngineTests()
    {
        _machine = _engine.CreateMachine(MemorySize);
        Prepare();
    }

    /// <summary>Page tables (accessed and dirty bits already set, so walks write nothing), GDT and system registers.</summary>
    private void Prepare()
    {
        var memory = _machine.Memory;
        memory.WriteUInt64(Pml4, Pdpt | 0x23);
        memory.WriteUInt64(Pdpt, PageDirectory | 0x23);
        for (ulong i = 0; i < 4; i++)
        {
            memory.WriteUInt64(PageDirectory + i * 8, (i << 21) | 0xE3);
        }
        memory.WriteUInt64(Gdt + 8, 0x00AF_9B00_0000_FFFF);
        memory.WriteUInt64(Gdt + 16, 0x00CF_9300_0000_FFFF);
        var data = new SegmentState(0x10, 0, 0xFFFF_FFFF, 0xC093);
        _machine.Vcpu.SetSystemRegisters(new SystemRegisters
        {
            Cs = new SegmentState(0x08, 0, 0xFFFF_FFFF, 0xA09B),
            Ds = data, Es = data, Fs = data, Gs = data, Ss = data,
            Tr = new SegmentState(0, 0, 0xFFFF, 0x8B),
            Ldt = SegmentState.UnusableSegment,
            Gdt = new DescriptorTable(Gdt, 23),
            Cr0 = 0x8000_0011, Cr3 = Pml4, Cr4 = 0x220, Efer = 0x500,
        });
    }

    private IEngineVcpu Vcpu => _machine.Vcpu;

    private void Load(Action<Assembler> build)
    {
        var assembler = new Assembler(64);
        build(assembler);
        using var stream = new MemoryStream();
        assembler.Assemble(new StreamCodeWriter(stream), Code);
        _machine.Memory.Write(Code, stream.ToArray());
        Vcpu.SetRegisters(new GeneralRegisters { Rip = Code, Rsp = 0x8000, Rflags = 2 });
        Vcpu.ResetExtendedStateAndEvents();
    }

    [Fact]
    public void Port_writes_exit_with_the_port_and_registers_go_both_ways()
    {
        Load(a =>
        {
            a.mov(eax, 7);
            a.@out(0x99, al);
            a.add(rax, rbx);
            a.@out(dx, al);
        });

        var exit = Vcpu.Run();
        Assert.Equal(EngineExitKind.PortIo, exit.Kind);
        Assert.Equal((ushort)0x99, exit.Port);
        Assert.True(exit.IsWrite);
        Assert.Equal(7ul, Vcpu.Registers.Rax);

        Vcpu.Registers.Rbx = 35;
        Vcpu.Registers.Rdx = 0x1234;
        Vcpu.MarkRegistersDirty();
        exit = Vcpu.Run();
        Assert.Equal((ushort)0x1234, exit.Port);
        Assert.Equal(42ul, Vcpu.Registers.Rax);
    }

    [Fact]
    public void Hlt_triple_fault_and_unimplemented_instructions_are_exits_not_exceptions()
    {
        Load(a => a.hlt());
        Assert.Equal(EngineExitKind.Halt, Vcpu.Run().Kind);

        Load(a => a.vaddps(ymm0, ymm1, ymm2)); // AVX: CPUID does not report it
        var unimplemented = Vcpu.Run();
        Assert.Equal(EngineExitKind.Failed, unimplemented.Kind);
        Assert.Contains("vaddps", unimplemented.Description);

        Load(a => a.ud2()); // no IDT: #UD, #DF, then a triple fault
        Assert.Equal(EngineExitKind.Shutdown, Vcpu.Run().Kind);
    }

    [Fact]
    public void A_kick_from_another_thread_stops_a_guest_spinning_with_interrupts_off()
    {
        Load(a =>
        {
            var spin = a.CreateLabel();
            a.cli();
            a.Label(ref spin);
            a.jmp(spin);
        });
        using var kicker = new Timer(_ => Vcpu.Kick(), null, 50, Timeout.Infinite);

        Assert.Equal(EngineExitKind.Interrupted, Vcpu.Run().Kind);
    }

    [Fact]
    public void The_dirty_log_sees_guest_and_host_writes_and_logs_again_after_forgetting()
    {
        Load(a =>
        {
            a.mov(__qword_ptr[Data], rax);
            a.@out(0x80, al);
            a.mov(__qword_ptr[Data], rax); // the same page again, through a TLB entry made before the log was forgotten
            a.@out(0x80, al);
        });
        var bitmap = new ulong[MemorySize / 4096 / 64];
        _machine.TakeDirtyPages(bitmap);
        _machine.ForgetDirtyPages(bitmap);

        Vcpu.Run();
        _machine.TakeDirtyPages(bitmap);
        Assert.Equal([(int)(Data / 4096)], SetPages(bitmap));

        _machine.ForgetDirtyPages(bitmap);
        _machine.TakeDirtyPages(bitmap);
        Assert.Empty(SetPages(bitmap));

        Vcpu.Run();
        _machine.TakeDirtyPages(bitmap);
        Assert.Equal([(int)(Data / 4096)], SetPages(bitmap));
        _machine.ForgetDirtyPages(bitmap);

        _machine.Memory.Write(Data + 0x5000, [1, 2, 3]);
        _machine.TakeDirtyPages(bitmap);
        Assert.Equal([(int)((Data + 0x5000) / 4096)], SetPages(bitmap));
    }

    [Fact]
    public void Discarding_memory_zeroes_what_the_guest_and_the_host_wrote_and_drops_decoded_code()
    {
        Load(a =>
        {
            a.mov(eax, 1);
            a.mov(__qword_ptr[Data + 0x3000], rax);
            a.hlt();
        });
        Vcpu.Run();
        Assert.Equal(1ul, _machine.Memory.ReadUInt64(Data + 0x3000));
        _machine.DiscardMemory();

        Assert.Equal(0ul, _machine.Memory.ReadUInt64(Data + 0x3000));
        Assert.Equal(0ul, _machine.Memory.ReadUInt64(Code));
        Assert.Equal(0ul, _machine.Memory.ReadUInt64(Pml4));
        Prepare();
        _machine.Memory.Write(Code, [0xF4]); // hlt alone: the old block must not run
        Vcpu.SetRegisters(new GeneralRegisters { Rip = Code, Rflags = 2 });
        Vcpu.ResetExtendedStateAndEvents();
        Assert.Equal(EngineExitKind.Halt, Vcpu.Run().Kind);
        Assert.Equal(0ul, Vcpu.Registers.Rax);
    }

    [Fact]
    public void Extended_state_saves_and_restores_the_xmm_registers()
    {
        _machine.Memory.WriteUInt64(Data, 0x0123_4567_89AB_CDEF);
        _machine.Memory.WriteUInt64(Data + 16, 5);
        Load(a =>
        {
            a.movdqa(xmm5, __xmmword_ptr[Data]);
            a.@out(0x80, al);
            a.pxor(xmm5, xmm5);
            a.movdqa(__xmmword_ptr[Data + 16], xmm5);
            a.@out(0x80, al);
            a.movdqa(__xmmword_ptr[Data + 32], xmm5);
            a.hlt();
        });
        var saved = Vcpu.CreateExtendedState();

        Vcpu.Run();
        Vcpu.SaveExtendedState(saved);
        Vcpu.Run();
        Assert.Equal(0ul, _machine.Memory.ReadUInt64(Data + 16));
        Vcpu.RestoreExtendedState(saved);
        Vcpu.Run();

        Assert.Equal(0x0123_4567_89AB_CDEFul, _machine.Memory.ReadUInt64(Data + 32));
    }

    [Fact]
    public void Extended_state_covers_the_x87_stack_and_mxcsr()
    {
        Load(a =>
        {
            a.ldmxcsr(__dword_ptr[Data + 8]);
            a.fldpi();
            a.@out(0x80, al);
            a.fninit();
            a.fldz();
            a.@out(0x80, al);
            a.fstp(__tword_ptr[Data + 16]);
            a.stmxcsr(__dword_ptr[Data + 32]);
            a.hlt();
        });
        _machine.Memory.WriteUInt64(Data + 8, 0x7F80); // MXCSR: round toward zero, all masked
        var saved = Vcpu.CreateExtendedState();

        Vcpu.Run();
        Vcpu.SaveExtendedState(saved);
        Vcpu.Run();
        Vcpu.ResetExtendedStateAndEvents(); // MXCSR back to 0x1F80, x87 empty
        Vcpu.RestoreExtendedState(saved);
        Vcpu.Run();

        Assert.Equal(0xC90F_DAA2_2168_C235ul, _machine.Memory.ReadUInt64(Data + 16)); // the restored pi (FLDPI rounds to nearest)
        Assert.Equal(0x4000ul, _machine.Memory.ReadUInt64(Data + 24) & 0xFFFF);
        Assert.Equal(0x7F80ul, _machine.Memory.ReadUInt64(Data + 32) & 0xFFFF_FFFF);
    }

    [Fact]
    public void The_engine_states_that_the_host_models_interrupt_controllers()
    {
        Assert.Equal(EngineKind.Software, _engine.Kind);
        Assert.Equal(InterruptControllerModel.Host, _engine.InterruptControllers);
        Assert.True(_machine.ManualDirtyLog);
        Assert.Throws<ArgumentException>(() => _engine.CreateMachine(4097));
    }

    private static List<int> SetPages(ulong[] bitmap)
    {
        var pages = new List<int>();
        for (int word = 0; word < bitmap.Length; word++)
        {
            for (int bit = 0; bit < 64; bit++)
            {
                if ((bitmap[word] >> bit & 1) != 0)
                {
                    pages.Add(word * 64 + bit);
                }
            }
        }
        return pages;
    }

    public void Dispose()
    {
        _machine.Dispose();
        _engine.Dispose();
    }
}
