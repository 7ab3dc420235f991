using System.Buffers.Binary;
using Iced.Intel;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Emulation;
using Turnstone.Hypervisor.Interop;
using Turnstone.UnitTests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.UnitTests.Hypervisor;

/// <summary>SSE data moves through the XSAVE image (XMMn at byte 160 + 16n), as the fallback emulates them.</summary>
public sealed class SseMoveEmulatorTests
{
    private const ulong Rip = 0xFFFF_FFFF_8100_0000;
    private const ulong Data = 0xFFFF_C900_0010_0000, DataPhysical = 0x20_0000;

    private readonly ArrayGuestMemory _memory = new(4ul << 20);
    private readonly FakeExtendedState _state = new(xcr0: 0x3);
    private readonly InstructionEmulator _emulator = new();
    private KvmSregs _sregs;
    private KvmRegs _regs = new() { Rip = Rip, Rflags = 0x2 };

    public SseMoveEmulatorTests()
    {
        var tables = new PageTableBuilder(_memory, 0x10_0000).Map4K(Data, DataPhysical);
        _sregs = GuestCpu.LongModeSregs(tables.Pml4);
    }

    private EmulationResult Run(Action<Assembler> emit) => _emulator.Emulate(GuestCpu.Decode(emit, Rip), ref _regs, _sregs, _memory, _state);

    private Span<byte> Xmm(int n) => _state.Image.AsSpan(160 + 16 * n, 16);

    [Fact]
    public void Movd_from_a_general_register_zero_extends_into_the_xmm_register_and_marks_sse_in_use()
    {
        Xmm(15).Fill(0xEE);
        _regs.Rcx = 0xAAAA_BBBB_1234_5678;

        Assert.Equal(EmulationResult.Completed, Run(a => a.movd(xmm15, ecx)));

        Assert.Equal(0x1234_5678ul, BinaryPrimitives.ReadUInt64LittleEndian(Xmm(15)));
        Assert.Equal(0ul, BinaryPrimitives.ReadUInt64LittleEndian(Xmm(15)[8..]));
        Assert.NotEqual(0ul, BinaryPrimitives.ReadUInt64LittleEndian(_state.Image.AsSpan(512)) & 2);
        Assert.Equal(GuestCpu.Decode(a => a.movd(xmm15, ecx), Rip).NextIP, _regs.Rip);
    }

    [Fact]
    public void Movq_to_a_general_register_takes_the_low_quadword()
    {
        BinaryPrimitives.WriteUInt64LittleEndian(Xmm(2), 0x0102_0304_0506_0708);
        BinaryPrimitives.WriteUInt64LittleEndian(Xmm(2)[8..], 0xFFFF_FFFF_FFFF_FFFF);

        Assert.Equal(EmulationResult.Completed, Run(a => a.movq(rbx, xmm2)));

        Assert.Equal(0x0102_0304_0506_0708ul, _regs.Rbx);
    }

    [Fact]
    public void Movdqu_stores_and_movdqa_loads_sixteen_bytes()
    {
        Xmm(1).Fill(0x5A);
        _regs.Rdi = Data;

        Assert.Equal(EmulationResult.Completed, Run(a => a.movdqu(__xmmword_ptr[rdi + 3], xmm1)));
        Assert.True(_memory.GetSpan(DataPhysical + 3, 16).SequenceEqual(Xmm(1)));

        _memory.GetSpan(DataPhysical + 0x40, 16).Fill(0x11);
        Assert.Equal(EmulationResult.Completed, Run(a => a.movdqa(xmm4, __xmmword_ptr[rdi + 0x40])));
        Assert.All(Xmm(4).ToArray(), b => Assert.Equal(0x11, b));
    }

    [Fact]
    public void Movdqa_from_a_misaligned_address_raises_GP0()
    {
        _regs.Rdi = Data + 8;

        var result = Run(a => a.movdqa(xmm4, __xmmword_ptr[rdi]));

        Assert.Equal(EmulationResult.Exception(ExceptionVector.GeneralProtection, 0), result);
        Assert.Equal(Rip, _regs.Rip);
    }

    [Fact]
    public void Pxor_of_a_register_with_itself_clears_it()
    {
        Xmm(7).Fill(0x77);

        Assert.Equal(EmulationResult.Completed, Run(a => a.pxor(xmm7, xmm7)));

        Assert.All(Xmm(7).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Sse_with_CR0_TS_set_raises_device_not_available()
    {
        _sregs.Cr0 |= 1 << 3;

        var result = Run(a => a.movd(xmm0, eax));

        Assert.Equal(EmulationOutcome.RaiseException, result.Outcome);
        Assert.Equal(7, result.Vector);
    }

    [Fact]
    public void Vex_encoded_moves_are_reported_not_emulated()
    {
        var result = Run(a => a.vmovd(xmm0, eax));

        Assert.Equal(EmulationOutcome.Unsupported, result.Outcome);
        Assert.Contains("vmovd", result.Reason);
    }
}
