using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.TestSupport;

/// <summary>
/// Runs one instruction sequence natively (in this process) and on the software CPU (at CPL 0 in
/// <see cref="LongModeMachine"/>, followed by <c>hlt</c>) from the same registers and flags, and
/// reports both results. Sequences must not touch RSP or memory. The software CPU runs each
/// sequence three times, interpreted, compiled to .NET code (<see cref="SoftwareCpu.CompileThreshold"/> 0)
/// and translated to host code (<see cref="SoftwareCpu.NativeCompileThreshold"/> 0), and
/// <see cref="Compare"/> holds each to the native result.
/// </summary>
public sealed class DifferentialHarness : IDisposable
{
    public const ulong ArithmeticFlags = 0x8D5;
    public const ulong Cf = 0x1, Pf = 0x4, Af = 0x10, Zf = 0x40, Sf = 0x80, Of = 0x800;

    private readonly NativeCode _native;
    private readonly LongModeMachine _machine = new();
    private readonly LongModeMachine _compiledMachine = new();
    private readonly LongModeMachine _hostCodeMachine = new();

    public string Text { get; }

    public DifferentialHarness(Action<Assembler> sequence)
    {
        var instruction = new Assembler(64);
        sequence(instruction);
        byte[] bytes = AssembleAt(instruction, LongModeMachine.KernelCode);
        Text = string.Join("; ", instruction.Instructions.Select(i => i.ToString()));
        _native = new NativeCode(AssembleAt(Wrapper(bytes), 0));
        _machine.WriteBytes(LongModeMachine.KernelCode, [.. bytes, 0xF4]);
        _machine.Cpu.CompileThreshold = -1;
        _machine.Cpu.NativeCompileThreshold = -1;
        _compiledMachine.WriteBytes(LongModeMachine.KernelCode, [.. bytes, 0xF4]);
        _compiledMachine.Cpu.CompileThreshold = 0;
        _compiledMachine.Cpu.NativeCompileThreshold = -1;
        _hostCodeMachine.WriteBytes(LongModeMachine.KernelCode, [.. bytes, 0xF4]);
        _hostCodeMachine.Cpu.CompileThreshold = -1;
        _hostCodeMachine.Cpu.NativeCompileThreshold = 0;
    }

    private static byte[] AssembleAt(Assembler assembler, ulong address)
    {
        using var stream = new MemoryStream();
        assembler.Assemble(new StreamCodeWriter(stream), address);
        return stream.ToArray();
    }

    private static readonly AssemblerRegister64[] Order = [rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15];

    private static Assembler Wrapper(byte[] instruction)
    {
        var a = new Assembler(64);
        foreach (var saved in new[] { rbx, rbp, r12, r13, r14, r15 })
        {
            a.push(saved);
        }
        a.push(rdi);
        a.mov(rax, __qword_ptr[rdi + RegisterState.RflagsOffset]);
        a.push(rax);
        a.popfq();
        for (int i = 0; i < 16; i++)
        {
            if (i != 4 && i != 7)
            {
                a.mov(Order[i], __qword_ptr[rdi + i * 8]);
            }
        }
        a.mov(rdi, __qword_ptr[rdi + 7 * 8]);
        a.db(instruction);
        a.pushfq();
        a.push(rdi);
        a.mov(rdi, __qword_ptr[rsp + 16]);
        for (int i = 0; i < 16; i++)
        {
            if (i != 4 && i != 7)
            {
                a.mov(__qword_ptr[rdi + i * 8], Order[i]);
            }
        }
        a.pop(rax);
        a.mov(__qword_ptr[rdi + 7 * 8], rax);
        a.pop(rax);
        a.mov(__qword_ptr[rdi + RegisterState.RflagsOffset], rax);
        a.pop(rdi);
        a.cld();
        foreach (var saved in new[] { r15, r14, r13, r12, rbp, rbx })
        {
            a.pop(saved);
        }
        a.ret();
        return a;
    }

    public RegisterState RunNative(RegisterState input)
    {
        var state = input;
        state.Rflags = (input.Rflags & ArithmeticFlags) | 2;
        _native.Run(ref state);
        return state;
    }

    /// <summary>Runs on the software CPU (interpreted, compiled or translated); the vector is set when an exception was delivered instead.</summary>
    public (RegisterState State, int? Vector) RunEmulated(RegisterState input, EngineTier tier = EngineTier.Interpreted)
    {
        var machine = tier switch { EngineTier.Compiled => _compiledMachine, EngineTier.HostCode => _hostCodeMachine, _ => _machine };
        var cpu = machine.Cpu;
        for (int i = 0; i < 16; i++)
        {
            if (i != 4)
            {
                cpu.SetRegister((GeneralRegister)i, input.Registers[i]);
            }
        }
        cpu.SetRegister(GeneralRegister.Rsp, LongModeMachine.KernelStackTop);
        cpu.Rflags = (input.Rflags & ArithmeticFlags) | 2;
        cpu.Rip = LongModeMachine.KernelCode;
        cpu.Halted = false;
        var exit = cpu.Run(1000);
        Assert.True(exit.Reason == CpuExitReason.Halt, $"{Text}: {exit}");
        var output = default(RegisterState);
        for (int i = 0; i < 16; i++)
        {
            output.Registers[i] = i == 4 ? 0 : cpu.GetRegister((GeneralRegister)i);
        }
        output.Rflags = cpu.Rflags;
        return (output, machine.VectorFromHaltRip());
    }

    /// <summary>Runs both ways and fails with both states when a register or a compared flag differs.</summary>
    public void Compare(RegisterState input, ulong comparedFlags)
    {
        var native = RunNative(input);
        foreach (EngineTier tier in Enum.GetValues<EngineTier>())
        {
            Compare(input, comparedFlags, native, tier);
        }
    }

    private void Compare(RegisterState input, ulong comparedFlags, RegisterState native, EngineTier tier)
    {
        var (emulated, vector) = RunEmulated(input, tier);
        Assert.True(vector is null, $"{Text} ({tier}): the engine raised vector {vector} for {input}");
        for (int i = 0; i < 16; i++)
        {
            if (i != 4 && native.Registers[i] != emulated.Registers[i])
            {
                Assert.Fail($"{Text} ({tier}): {(GeneralRegister)i} differs\n in:     {input}\n native: {native}\n engine: {emulated}");
            }
        }
        if ((native.Rflags & comparedFlags) != (emulated.Rflags & comparedFlags))
        {
            Assert.Fail($"{Text} ({tier}): flags differ (compared {comparedFlags:x})\n in:     {input}\n native: {native}\n engine: {emulated}");
        }
    }

    public void Dispose()
    {
        _native.Dispose();
        _machine.Dispose();
        _compiledMachine.Dispose();
        _hostCodeMachine.Dispose();
    }
}

/// <summary>The software CPU's three ways of running a block.</summary>
public enum EngineTier { Interpreted, Compiled, HostCode }
