using System.Runtime.InteropServices;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.TestSupport;

/// <summary>
/// Runs an x87/MMX/SSE instruction sequence natively (FXRSTOR64 of the case's image, the general
/// registers and flags loaded, RDI at a copy of the case's memory; then FXSAVE64 and the host's
/// own state put back) and on the software CPU (CR4.OSFXSR and OSXMMEXCPT set, the same image
/// restored, RDI at <see cref="LongModeMachine.DataPage"/>), and compares the results.
/// Sequences must not touch R11, RSP, or memory other than [RDI, RDI + 128); cases must keep
/// every SIMD exception masked (the native run would trap), and may unmask x87 ones only when the
/// sequence ends on the faulting instruction (the exception stays pending).
/// </summary>
public sealed unsafe class FloatDifferentialHarness : IDisposable
{
    private const int General = 512, Flags = 568, Memory = 576, HostSave = 1024, BlockBytes = 1536;

    private readonly NativeCode _native;
    private readonly LongModeMachine _machine = new();
    private readonly byte[] _blockStorage = GC.AllocateArray<byte>(BlockBytes + 64, pinned: true);
    private readonly byte* _block;

    private static readonly AssemblerRegister64[] GeneralOrder = [rax, rbx, rcx, rdx, rsi, r8, r9];
    private static readonly GeneralRegister[] EngineOrder =
        [GeneralRegister.Rax, GeneralRegister.Rbx, GeneralRegister.Rcx, GeneralRegister.Rdx, GeneralRegister.Rsi, GeneralRegister.R8, GeneralRegister.R9];

    public string Text { get; }

    public FloatDifferentialHarness(Action<Assembler> sequence)
    {
        var body = new Assembler(64);
        sequence(body);
        Text = string.Join("; ", body.Instructions.Select(i => i.ToString()));
        byte[] bytes = Assemble(body, LongModeMachine.KernelCode);
        _native = new NativeCode(Assemble(Wrapper(bytes), 0));
        _machine.WriteBytes(LongModeMachine.KernelCode, [.. bytes, 0xF4]);
        _machine.Cpu.Cr4 |= (1 << 9) | (1 << 10);
        fixed (byte* p = _blockStorage)
        {
            _block = (byte*)(((nint)p + 63) & ~(nint)63);
        }
    }

    public LongModeMachine Machine => _machine;

    private static byte[] Assemble(Assembler assembler, ulong address)
    {
        using var stream = new MemoryStream();
        assembler.Assemble(new StreamCodeWriter(stream), address);
        return stream.ToArray();
    }

    private static Assembler Wrapper(byte[] sequence)
    {
        var a = new Assembler(64);
        foreach (var saved in new[] { rbx, rbp, r12, r13, r14, r15 })
        {
            a.push(saved);
        }
        a.mov(r11, rdi);
        a.fxsave64(__[r11 + HostSave]);
        a.fxrstor64(__[r11]);
        for (int g = 0; g < GeneralOrder.Length; g++)
        {
            a.mov(GeneralOrder[g], __qword_ptr[r11 + General + 8 * g]);
        }
        a.lea(rdi, __[r11 + Memory]);
        a.push(__qword_ptr[r11 + Flags]);
        a.popfq();
        a.db(sequence);
        a.pushfq();
        a.pop(__qword_ptr[r11 + Flags]);
        for (int g = 0; g < GeneralOrder.Length; g++)
        {
            a.mov(__qword_ptr[r11 + General + 8 * g], GeneralOrder[g]);
        }
        a.fxsave64(__[r11]);
        a.fninit(); // an unmasked x87 exception left pending must not meet a waiting instruction here
        a.fxrstor64(__[r11 + HostSave]);
        a.cld();
        foreach (var saved in new[] { r15, r14, r13, r12, rbp, rbx })
        {
            a.pop(saved);
        }
        a.ret();
        return a;
    }

    public FloatState RunNative(FloatState input)
    {
        var block = new Span<byte>(_block, BlockBytes);
        block.Clear();
        input.Image.CopyTo(block);
        for (int g = 0; g < GeneralOrder.Length; g++)
        {
            MemoryMarshal.Write(block[(General + 8 * g)..], input.General[g]);
        }
        MemoryMarshal.Write(block[Flags..], (input.Rflags & DifferentialHarness.ArithmeticFlags) | 2);
        input.Data.CopyTo(block[Memory..]);
        _native.Run(_block);
        var output = new FloatState { Rflags = MemoryMarshal.Read<ulong>(block[Flags..]) };
        block[..FloatState.ImageBytes].CopyTo(output.Image);
        for (int g = 0; g < GeneralOrder.Length; g++)
        {
            output.General[g] = MemoryMarshal.Read<ulong>(block[(General + 8 * g)..]);
        }
        block.Slice(Memory, FloatState.DataBytes).CopyTo(output.Data);
        return output;
    }

    /// <summary>Runs on the engine; the vector is set when an exception was delivered instead.</summary>
    public (FloatState State, int? Vector, CpuExit Exit) RunEmulated(FloatState input)
    {
        var cpu = _machine.Cpu;
        Assert.True(cpu.RestoreFxImage(input.Image), "the case's MXCSR is valid");
        for (int g = 0; g < EngineOrder.Length; g++)
        {
            cpu.SetRegister(EngineOrder[g], input.General[g]);
        }
        cpu.SetRegister(GeneralRegister.Rdi, LongModeMachine.DataPage);
        cpu.SetRegister(GeneralRegister.Rsp, LongModeMachine.KernelStackTop);
        cpu.Rflags = (input.Rflags & DifferentialHarness.ArithmeticFlags) | 2;
        _machine.WriteBytes(LongModeMachine.DataPage, input.Data);
        cpu.Rip = LongModeMachine.KernelCode;
        cpu.Halted = false;
        var exit = cpu.Run(1000);
        var output = new FloatState { Rflags = cpu.Rflags };
        cpu.SaveFxImage(output.Image);
        for (int g = 0; g < EngineOrder.Length; g++)
        {
            output.General[g] = cpu.GetRegister(EngineOrder[g]);
        }
        _machine.Memory.TryGetSpan(LongModeMachine.DataPage, FloatState.DataBytes, out var data);
        data.CopyTo(output.Data);
        return (output, exit.Reason == CpuExitReason.Halt ? _machine.VectorFromHaltRip() : null, exit);
    }

    /// <summary>Runs both ways and fails with both states when anything compared differs.</summary>
    public void Compare(FloatState input, ulong comparedFlags = DifferentialHarness.ArithmeticFlags, (int Start, int End)[]? ignoredMemory = null)
    {
        var (emulated, vector, exit) = RunEmulated(input);
        Assert.True(exit.Reason == CpuExitReason.Halt, $"{Text}: {exit}");
        Assert.True(vector is null, $"{Text}: the engine raised vector {vector} for\n{input}");
        var native = RunNative(input);
        string? difference = FloatState.Difference(native, emulated, comparedFlags, ignoredMemory);
        if (difference is not null)
        {
            Assert.Fail($"{Text}: {difference}\n in:\n{input}\n native:\n{native}\n engine:\n{emulated}");
        }
    }

    public void Dispose()
    {
        _native.Dispose();
        _machine.Dispose();
    }
}
