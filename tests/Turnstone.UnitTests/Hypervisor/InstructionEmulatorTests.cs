using System.Buffers.Binary;
using Iced.Intel;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Emulation;
using Turnstone.Hypervisor.Interop;
using Turnstone.UnitTests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.UnitTests.Hypervisor;

/// <summary>
/// The fallback emulator for instructions a nested host's KVM rejects, run on instructions Iced
/// assembled and decoded, against guest memory reached through hand-built page tables.
/// </summary>
public sealed class InstructionEmulatorTests
{
    private const ulong Rip = 0xFFFF_FFFF_8100_0000;
    private const ulong Data = 0xFFFF_C900_0010_0000;     // two writable pages, 0x20_0000 and 0x20_1000
    private const ulong ReadOnly = Data + 0x2000;        // present, not writable: 0x20_2000
    private const ulong Unmapped = Data + 0x3000;
    private const ulong BeforeHole = Data + 0x5000;      // writable, with nothing mapped after it
    private const ulong DataPhysical = 0x20_0000, ReadOnlyPhysical = 0x20_2000;
    private const ulong FlagCarry = 1, FlagZero = 0x40, FlagSign = 0x80, FlagOverflow = 0x800, FlagAc = 0x4_0000;

    private readonly ArrayGuestMemory _memory = new(4ul << 20);
    private readonly FakeExtendedState _state = new(xcr0: 0x3);
    private readonly InstructionEmulator _emulator = new();
    private readonly KvmSregs _sregs;
    private KvmRegs _regs = new() { Rip = Rip, Rflags = 0x2 };

    public InstructionEmulatorTests()
    {
        var tables = new PageTableBuilder(_memory, 0x10_0000)
            .Map4K(Data, DataPhysical)
            .Map4K(Data + 0x1000, DataPhysical + 0x1000)
            .Map4K(ReadOnly, ReadOnlyPhysical, flags: PageTableBuilder.Present)
            .Map4K(BeforeHole, DataPhysical + 0x5000);
        _sregs = GuestCpu.LongModeSregs(tables.Pml4);
    }

    private EmulationResult Run(Action<Assembler> emit) => Run(GuestCpu.Decode(emit, Rip));

    private EmulationResult Run(Instruction instruction) => _emulator.Emulate(instruction, ref _regs, _sregs, _memory, _state);

    private static ulong NextIp(Action<Assembler> emit) => GuestCpu.Decode(emit, Rip).NextIP;

    [Fact]
    public void Int3_raises_a_breakpoint_trap_with_RIP_past_it()
    {
        var result = Run(a => a.int3());

        Assert.Equal(EmulationOutcome.RaiseException, result.Outcome);
        Assert.Equal(ExceptionVector.Breakpoint, result.Vector);
        Assert.Null(result.ErrorCode);
        Assert.Equal(Rip + 1, _regs.Rip);
    }

    [Fact]
    public void Clac_clears_and_stac_sets_RFLAGS_AC()
    {
        _regs.Rflags = 0x2 | FlagAc | FlagCarry;

        Assert.Equal(EmulationResult.Completed, Run(a => a.clac()));
        Assert.Equal(0x2 | FlagCarry, _regs.Rflags);
        Assert.Equal(Rip + 3, _regs.Rip);

        _regs.Rip = Rip;
        Assert.Equal(EmulationResult.Completed, Run(a => a.stac()));
        Assert.Equal(0x2 | FlagAc | FlagCarry, _regs.Rflags);
        Assert.Equal(Rip + 3, _regs.Rip);
    }

    [Fact]
    public void Fwait_just_advances()
    {
        Assert.Equal(EmulationResult.Completed, Run(a => a.wait()));
        Assert.Equal(Rip + 1, _regs.Rip);
    }

    [Fact]
    public void Popcnt_register_counts_bits_and_clears_the_arithmetic_flags()
    {
        _regs.Rbx = 0xF0F0_0000_0000_0001;
        _regs.Rflags = 0x2 | FlagCarry | FlagZero | FlagSign | FlagOverflow | FlagAc;

        Assert.Equal(EmulationResult.Completed, Run(a => a.popcnt(rax, rbx)));

        Assert.Equal(9ul, _regs.Rax);
        Assert.Equal(0x2 | FlagAc, _regs.Rflags);
        Assert.Equal(NextIp(a => a.popcnt(rax, rbx)), _regs.Rip);
    }

    [Fact]
    public void Popcnt_of_zero_sets_ZF()
    {
        _regs.Rax = 0x1234;
        _regs.Rbx = 0;

        Run(a => a.popcnt(rax, rbx));

        Assert.Equal(0ul, _regs.Rax);
        Assert.Equal(FlagZero, _regs.Rflags & (FlagZero | FlagCarry));
    }

    [Fact]
    public void Popcnt_32_bit_reads_four_bytes_through_paging_and_zero_extends()
    {
        _memory.WriteUInt64(DataPhysical + 8, 0xFFFF_FFFF_0000_00FF);
        _regs.Rsi = Data + 8;
        _regs.Rcx = ulong.MaxValue;

        Assert.Equal(EmulationResult.Completed, Run(a => a.popcnt(ecx, __dword_ptr[rsi])));

        Assert.Equal(8ul, _regs.Rcx);
        Assert.Equal(0ul, _regs.Rflags & FlagZero);
    }

    [Fact]
    public void Popcnt_16_bit_merges_into_the_register()
    {
        _memory.WriteUInt16(DataPhysical + 0x10, 0x0F0F);
        _regs.Rdi = Data;
        _regs.Rdx = 0xAAAA_BBBB_CCCC_DDDD;

        Run(a => a.popcnt(dx, __word_ptr[rdi + 0x10]));

        Assert.Equal(0xAAAA_BBBB_CCCC_0008ul, _regs.Rdx);
    }

    [Fact]
    public void Popcnt_memory_operand_adds_the_FS_base()
    {
        var sregs = _sregs;
        sregs.Fs.Base = Data + 0x100;
        _memory.WriteUInt64(DataPhysical + 0x110, 0x7);
        // popcnt rax, qword ptr fs:[0x10]
        byte[] bytes = [0x64, 0xF3, 0x48, 0x0F, 0xB8, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00];
        Assert.True(InstructionDecoding.TryDecode(bytes, Rip, sregs, out var instruction));

        var result = _emulator.Emulate(instruction, ref _regs, sregs, _memory, _state);

        Assert.Equal(EmulationResult.Completed, result);
        Assert.Equal(3ul, _regs.Rax);
    }

    [Fact]
    public void Popcnt_memory_operand_can_be_RIP_relative()
    {
        _memory.WriteUInt64(DataPhysical + 0x200, 0xFF);
        const ulong rip = Data + 0x200 - 0x40 - 9; // the displacement counts from the next instruction
        byte[] bytes = [0xF3, 0x48, 0x0F, 0xB8, 0x05, 0x40, 0x00, 0x00, 0x00];
        Assert.True(InstructionDecoding.TryDecode(bytes, rip, _sregs, out var instruction));
        _regs.Rip = rip;

        Assert.Equal(EmulationResult.Completed, Run(instruction));
        Assert.Equal(8ul, _regs.Rax);
        Assert.Equal(rip + 9, _regs.Rip);
    }

    [Fact]
    public void Popcnt_from_an_unmapped_page_raises_a_page_fault_at_that_address()
    {
        _regs.Rsi = Unmapped + 0x20;

        var result = Run(a => a.popcnt(rax, __qword_ptr[rsi]));

        Assert.Equal(EmulationOutcome.RaiseException, result.Outcome);
        Assert.Equal(ExceptionVector.PageFault, result.Vector);
        Assert.Equal(Unmapped + 0x20, result.PageFaultAddress);
        Assert.Equal(0u, result.ErrorCode);
        Assert.Equal(Rip, _regs.Rip);
    }

    [Fact]
    public void Cmpxchg16b_equal_stores_RCX_RBX_and_sets_ZF()
    {
        _memory.WriteUInt64(DataPhysical + 0x40, 0x1111);
        _memory.WriteUInt64(DataPhysical + 0x48, 0x2222);
        (_regs.Rax, _regs.Rdx, _regs.Rbx, _regs.Rcx, _regs.Rdi) = (0x1111, 0x2222, 0xAAAA, 0xBBBB, Data + 0x40);

        var result = Run(a => a.@lock.cmpxchg16b(__xmmword_ptr[rdi]));

        Assert.Equal(EmulationResult.Completed, result);
        Assert.Equal(0xAAAAul, _memory.ReadUInt64(DataPhysical + 0x40));
        Assert.Equal(0xBBBBul, _memory.ReadUInt64(DataPhysical + 0x48));
        Assert.Equal(FlagZero, _regs.Rflags & FlagZero);
        Assert.Equal((0x1111ul, 0x2222ul), (_regs.Rax, _regs.Rdx));
        Assert.Equal(NextIp(a => a.@lock.cmpxchg16b(__xmmword_ptr[rdi])), _regs.Rip);
    }

    [Fact]
    public void Cmpxchg16b_unequal_loads_RDX_RAX_and_clears_ZF()
    {
        _memory.WriteUInt64(DataPhysical + 0x40, 1);
        _memory.WriteUInt64(DataPhysical + 0x48, 2);
        (_regs.Rax, _regs.Rdx, _regs.Rbx, _regs.Rcx, _regs.Rdi) = (1, 3, 0xAAAA, 0xBBBB, Data + 0x40);
        _regs.Rflags = 0x2 | FlagZero;

        Assert.Equal(EmulationResult.Completed, Run(a => a.@lock.cmpxchg16b(__xmmword_ptr[rdi])));

        Assert.Equal((1ul, 2ul), (_regs.Rax, _regs.Rdx));
        Assert.Equal(0ul, _regs.Rflags & FlagZero);
        Assert.Equal((1ul, 2ul), (_memory.ReadUInt64(DataPhysical + 0x40), _memory.ReadUInt64(DataPhysical + 0x48)));
    }

    [Fact]
    public void Cmpxchg16b_misaligned_raises_GP0()
    {
        _regs.Rdi = Data + 0x48;

        var result = Run(a => a.@lock.cmpxchg16b(__xmmword_ptr[rdi]));

        Assert.Equal(EmulationResult.Exception(ExceptionVector.GeneralProtection, 0), result);
        Assert.Equal(Rip, _regs.Rip);
    }

    [Fact]
    public void Cmpxchg16b_unmapped_raises_a_page_fault_with_the_address()
    {
        _regs.Rdi = Unmapped + 0x30;

        var result = Run(a => a.@lock.cmpxchg16b(__xmmword_ptr[rdi]));

        Assert.Equal(EmulationOutcome.RaiseException, result.Outcome);
        Assert.Equal(ExceptionVector.PageFault, result.Vector);
        Assert.Equal(Unmapped + 0x30, result.PageFaultAddress);
        Assert.Equal(Rip, _regs.Rip);
    }

    /// <summary>CMPXCHG16B is a read-modify-write: a fault on its read is reported as a write
    /// (error code W), as hardware and KVM's own emulator do. With W clear, Linux would map the
    /// shared zero page read-only for an anonymous page and retry.</summary>
    [Fact]
    public void Cmpxchg16b_on_an_unmapped_page_reports_a_write_fault()
    {
        _regs.Rdi = Unmapped;

        var result = Run(a => a.@lock.cmpxchg16b(__xmmword_ptr[rdi]));

        Assert.Equal(ExceptionVector.PageFault, result.Vector);
        Assert.Equal(2u, result.ErrorCode);
    }

    /// <summary>CR0.WP is set (as in every Linux kernel): a CPL-0 write to a read-only page is a
    /// protection #PF (error code P|W), not a silent store. This is what makes copy-on-write work.</summary>
    [Fact]
    public void Cmpxchg16b_on_a_read_only_page_raises_a_write_protection_fault()
    {
        _memory.WriteUInt64(ReadOnlyPhysical, 0x1111);
        _memory.WriteUInt64(ReadOnlyPhysical + 8, 0x2222);
        (_regs.Rax, _regs.Rdx, _regs.Rbx, _regs.Rcx, _regs.Rdi) = (0x1111, 0x2222, 0xAAAA, 0xBBBB, ReadOnly);

        var result = Run(a => a.@lock.cmpxchg16b(__xmmword_ptr[rdi]));

        Assert.Equal(0x1111ul, _memory.ReadUInt64(ReadOnlyPhysical));
        Assert.Equal(EmulationOutcome.RaiseException, result.Outcome);
        Assert.Equal(ExceptionVector.PageFault, result.Vector);
        Assert.Equal(ReadOnly, result.PageFaultAddress);
        Assert.Equal(3u, result.ErrorCode);
    }

    [Fact]
    public void Ldmxcsr_with_reserved_bits_raises_GP0_and_leaves_the_state()
    {
        _memory.WriteUInt32(DataPhysical, 0x0001_1F80);
        _regs.Rsi = Data;

        var result = Run(a => a.ldmxcsr(__dword_ptr[rsi]));

        Assert.Equal(EmulationResult.Exception(ExceptionVector.GeneralProtection, 0), result);
        Assert.Equal(0, _state.Writes);
        Assert.Equal(Rip, _regs.Rip);
    }

    [Fact]
    public void Ldmxcsr_sets_MXCSR_in_the_image_and_marks_SSE_in_use()
    {
        _memory.WriteUInt32(DataPhysical + 4, 0x9FC0);
        _regs.Rsi = Data;
        BinaryPrimitives.WriteUInt32LittleEndian(_state.Image.AsSpan(24), 0x1F80);
        BinaryPrimitives.WriteUInt64LittleEndian(_state.Image.AsSpan(512), 0x1);

        var result = Run(a => a.ldmxcsr(__dword_ptr[rsi + 4]));

        Assert.Equal(EmulationResult.Completed, result);
        Assert.Equal(0x9FC0u, BinaryPrimitives.ReadUInt32LittleEndian(_state.Image.AsSpan(24)));
        Assert.Equal(0x3ul, BinaryPrimitives.ReadUInt64LittleEndian(_state.Image.AsSpan(512))); // XSTATE_BV: x87 kept, SSE set
        Assert.Equal(1, _state.Writes);
        Assert.Equal(NextIp(a => a.ldmxcsr(__dword_ptr[rsi + 4])), _regs.Rip);
    }

    [Fact]
    public void Ldmxcsr_from_an_unmapped_page_faults()
    {
        _regs.Rsi = Unmapped;

        var result = Run(a => a.ldmxcsr(__dword_ptr[rsi]));

        Assert.Equal(ExceptionVector.PageFault, result.Vector);
        Assert.Equal(Unmapped, result.PageFaultAddress);
    }

    [Fact]
    public void Stmxcsr_stores_MXCSR_from_the_image()
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_state.Image.AsSpan(24), 0x9FA0);
        _memory.WriteUInt64(DataPhysical + 0x80, ulong.MaxValue);
        _regs.Rdi = Data + 0x80;

        Assert.Equal(EmulationResult.Completed, Run(a => a.stmxcsr(__dword_ptr[rdi])));

        Assert.Equal(0xFFFF_FFFF_0000_9FA0ul, _memory.ReadUInt64(DataPhysical + 0x80));
        Assert.Equal(0, _state.Writes);
    }

    private void FillExtendedState()
    {
        var image = _state.Image.AsSpan();
        BinaryPrimitives.WriteUInt16LittleEndian(image, 0x037F);          // FCW
        BinaryPrimitives.WriteUInt16LittleEndian(image[2..], 0x3800);     // FSW
        BinaryPrimitives.WriteUInt32LittleEndian(image[24..], 0x1F80);    // MXCSR
        BinaryPrimitives.WriteUInt32LittleEndian(image[28..], 0xFFFF);    // MXCSR_MASK
        for (int i = 32; i < 160; i++)
        {
            image[i] = (byte)(0x40 + i);                                  // ST0-ST7
        }
        for (int i = 160; i < 416; i++)
        {
            image[i] = (byte)(i * 13);                                    // XMM0-XMM15
        }
        BinaryPrimitives.WriteUInt64LittleEndian(image[512..], 0x3);      // XSTATE_BV
    }

    [Fact]
    public void Xsave_then_xrstor_round_trips_x87_and_SSE_state()
    {
        FillExtendedState();
        byte[] original = _state.Image[..576];
        _memory.WriteByte(DataPhysical + 576, 0xEE);
        (_regs.Rdi, _regs.Rax, _regs.Rdx) = (Data, 0xFFFF_FFFF, 0xFFFF_FFFF);

        Assert.Equal(EmulationResult.Completed, Run(a => a.xsave(__[rdi])));

        Assert.Equal(original, _memory.GetSpan(DataPhysical, 576).ToArray());
        Assert.Equal(0xEE, _memory.ReadByte(DataPhysical + 576)); // only the legacy region and header for XCR0 = 3
        Assert.Equal(0, _state.Writes);

        // Different live state; MXCSR_MASK (bytes 28-31) is read-only and stays what the CPU reports.
        _state.Image.AsSpan(0, 28).Clear();
        _state.Image.AsSpan(32, 576 - 32).Clear();
        _regs.Rip = Rip;
        Assert.Equal(EmulationResult.Completed, Run(a => a.xrstor(__[rdi])));

        Assert.Equal(original, _state.Image[..576]);
        Assert.Equal(1, _state.Writes);
        Assert.Equal(NextIp(a => a.xrstor(__[rdi])), _regs.Rip);
    }

    [Fact]
    public void Xsave_stores_only_the_requested_components()
    {
        FillExtendedState();
        (_regs.Rdi, _regs.Rax, _regs.Rdx) = (Data + 0x400, 0x2, 0); // SSE only

        Assert.Equal(EmulationResult.Completed, Run(a => a.xsave(__[rdi])));

        var area = _memory.GetSpan(DataPhysical + 0x400, 576);
        Assert.All(area[..24].ToArray(), b => Assert.Equal(0, b));     // x87 control words untouched
        Assert.All(area[32..160].ToArray(), b => Assert.Equal(0, b));  // ST registers untouched
        Assert.Equal(0x1F80u, BinaryPrimitives.ReadUInt32LittleEndian(area[24..]));
        Assert.Equal(_state.Image[160..416], area[160..416].ToArray());
        Assert.Equal(0x2ul, BinaryPrimitives.ReadUInt64LittleEndian(area[512..])); // only the requested XSTATE_BV bit
    }

    [Fact]
    public void Xrstor_of_a_component_in_its_init_state_clears_it()
    {
        FillExtendedState();
        (_regs.Rdi, _regs.Rax, _regs.Rdx) = (Data, 0x3, 0);
        _memory.WriteUInt32(DataPhysical + 24, 0x1FA0);  // MXCSR is loaded even for SSE in init state
        _memory.WriteUInt64(DataPhysical + 512, 0x1);    // XSTATE_BV: x87 in use, SSE in init state
        _memory.WriteUInt16(DataPhysical, 0x027F);

        Assert.Equal(EmulationResult.Completed, Run(a => a.xrstor(__[rdi])));

        Assert.All(_state.Image[160..416], b => Assert.Equal(0, b));
        Assert.Equal(0x1FA0u, BinaryPrimitives.ReadUInt32LittleEndian(_state.Image.AsSpan(24)));
        Assert.Equal(0x027F, BinaryPrimitives.ReadUInt16LittleEndian(_state.Image));
        Assert.Equal(0x1ul, BinaryPrimitives.ReadUInt64LittleEndian(_state.Image.AsSpan(512)));
    }

    [Theory]
    [InlineData(520, 0x8000_0000_0000_0003ul)] // XCOMP_BV: compacted format
    [InlineData(520, 0x1ul)]                   // XCOMP_BV nonzero
    [InlineData(528, 0x1ul)]                   // reserved header bytes
    [InlineData(512, 0x4ul)]                   // XSTATE_BV names a component XCR0 does not enable
    public void Xrstor_with_an_invalid_header_raises_GP0(int offset, ulong value)
    {
        FillExtendedState();
        _memory.WriteUInt64(DataPhysical + (ulong)offset, value);
        (_regs.Rdi, _regs.Rax, _regs.Rdx) = (Data, 0x3, 0);

        var result = Run(a => a.xrstor(__[rdi]));

        Assert.Equal(EmulationResult.Exception(ExceptionVector.GeneralProtection, 0), result);
        Assert.Equal(0, _state.Writes);
        Assert.Equal(Rip, _regs.Rip);
    }

    [Fact]
    public void Xrstor_with_a_reserved_MXCSR_bit_raises_GP0()
    {
        _memory.WriteUInt32(DataPhysical + 24, 0x0002_0000);
        (_regs.Rdi, _regs.Rax, _regs.Rdx) = (Data, 0x3, 0);

        Assert.Equal(EmulationResult.Exception(ExceptionVector.GeneralProtection, 0), Run(a => a.xrstor(__[rdi])));
        Assert.Equal(0, _state.Writes);
    }

    [Fact]
    public void Xsave_to_a_misaligned_area_raises_GP0()
    {
        (_regs.Rdi, _regs.Rax, _regs.Rdx) = (Data + 0x20, 0x3, 0);

        Assert.Equal(EmulationResult.Exception(ExceptionVector.GeneralProtection, 0), Run(a => a.xsave(__[rdi])));
        Assert.Equal(Rip, _regs.Rip);
    }

    [Fact]
    public void Xsave_into_an_unmapped_page_faults_at_the_first_unmapped_byte()
    {
        (_regs.Rdi, _regs.Rax, _regs.Rdx) = (BeforeHole + 0xF00, 0x3, 0); // 576 bytes: 256 mapped, the rest not

        var result = Run(a => a.xsave(__[rdi]));

        Assert.Equal(EmulationOutcome.RaiseException, result.Outcome);
        Assert.Equal(ExceptionVector.PageFault, result.Vector);
        Assert.Equal(BeforeHole + 0x1000, result.PageFaultAddress);
        Assert.All(_memory.GetSpan(DataPhysical + 0x5F00, 0x100).ToArray(), b => Assert.Equal(0, b)); // nothing half-written
        Assert.Equal(Rip, _regs.Rip);
    }

    /// <summary>XSAVE only writes its area; reading it first is an implementation detail that must not
    /// turn the fault into a read fault.</summary>
    [Fact]
    public void Xsave_into_an_unmapped_page_reports_a_write_fault()
    {
        (_regs.Rdi, _regs.Rax, _regs.Rdx) = (Unmapped, 0x3, 0);

        var result = Run(a => a.xsave(__[rdi]));

        Assert.Equal(ExceptionVector.PageFault, result.Vector);
        Assert.Equal(Unmapped, result.PageFaultAddress);
        Assert.Equal(2u, result.ErrorCode);
    }

    [Fact]
    public void Xsave_into_a_read_only_page_raises_a_write_protection_fault()
    {
        FillExtendedState();
        (_regs.Rdi, _regs.Rax, _regs.Rdx) = (ReadOnly, 0x3, 0);

        var result = Run(a => a.xsave(__[rdi]));

        Assert.All(_memory.GetSpan(ReadOnlyPhysical, 576).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(ExceptionVector.PageFault, result.Vector);
        Assert.Equal(ReadOnly, result.PageFaultAddress);
        Assert.Equal(3u, result.ErrorCode);
    }

    [Theory]
    [InlineData("cpuid")]
    [InlineData("rdtsc")]
    public void Instructions_we_do_not_emulate_are_reported_by_mnemonic(string mnemonic)
    {
        var result = mnemonic == "cpuid" ? Run(a => a.cpuid()) : Run(a => a.rdtsc());

        Assert.Equal(EmulationOutcome.Unsupported, result.Outcome);
        Assert.Equal($"no emulation for '{mnemonic}'", result.Reason);
        Assert.Equal(Rip, _regs.Rip);
        Assert.Empty(_emulator.Counts);
    }

    [Fact]
    public void Counts_emulated_instructions_by_mnemonic()
    {
        Run(a => a.clac());
        _regs.Rip = Rip;
        Run(a => a.clac());
        _regs.Rip = Rip;
        Run(a => a.int3());

        Assert.Equal(2, _emulator.Counts[Mnemonic.Clac]);
        Assert.Equal(1, _emulator.Counts[Mnemonic.Int3]);
    }
}
