using BenchmarkDotNet.Attributes;
using Iced.Intel;
using Turnstone.Bench.Engine;
using Turnstone.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Benchmarks.Cpu;

/// <summary>
/// Guest instructions per second on the software CPU (no KVM needed): an integer loop of the kind
/// compilers emit and a memory-bound loop, in 64-bit mode at CPL 0 with 2 MiB pages. Each
/// benchmark's operation is one guest instruction, so Mean is the time per guest instruction
/// (1 / Mean = guest instructions per second; Min is the figure least disturbed by other load on the host).
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class SoftwareCpuBenchmarks
{
    private const ulong Code = 0x10000;
    private const ulong Stack = 0x20000;
    private const ulong Source = 0x100000;
    private const ulong Destination = 0x200000;
    private const int Iterations = 1_000_000;
    private const int IntegerLoopInstructions = 8 * Iterations + 1;
    private const int MemoryLoopInstructions = 6 * Iterations + 1;
    private const ulong MemoryLoop = Code + 0x800;

    /// <summary>False: the interpreter alone (CompileThreshold -1); true: hot blocks compiled (the default threshold).</summary>
    [Params(false, true)]
    public bool Compiled { get; set; }

    private GuestPhysicalMemory _memory = null!;
    private SoftwareCpu _cpu = null!;

    [GlobalSetup]
    public void Setup()
    {
        _memory = GuestPhysicalMemory.Allocate((0, 32 << 20));
        Write(0x1000, 0x2000 | 3);
        Write(0x2000, 0x3000 | 3);
        for (ulong i = 0; i < 16; i++)
        {
            Write(0x3000 + i * 8, (i << 21) | 0x83);
        }
        Assemble(Code, a =>
        {
            LoopGuest.EmitIntegerLoop(a);
            a.hlt();
        });
        Assemble(MemoryLoop, a =>
        {
            var loop = a.CreateLabel();
            a.Label(ref loop);
            a.mov(rdx, __qword_ptr[rsi + rcx * 8]);
            a.add(rdx, rax);
            a.mov(__qword_ptr[rdi + rcx * 8], rdx);
            a.add(rax, 3);
            a.dec(rcx);
            a.jnz(loop);
            a.hlt();
        });
        _cpu = new SoftwareCpu(_memory)
        {
            Cr3 = 0x1000,
            Cr4 = 1 << 5,
            Efer = 1 << 8,
            Cr0 = 0x8000_0011,
            CompileThreshold = Compiled ? SoftwareCpu.DefaultCompileThreshold : -1,
        };
        _cpu.SetSegment(SegmentName.Cs, SegmentRegister.FlatCode64(8, 0));
        _cpu.SetSegment(SegmentName.Ss, SegmentRegister.FlatData(16, 0));
    }

    [GlobalCleanup]
    public void Cleanup() => _memory.Dispose();

    [Benchmark(OperationsPerInvoke = IntegerLoopInstructions, Description = "integer loop, per guest instruction")]
    public ulong IntegerLoop() => RunFrom(Code);

    [Benchmark(OperationsPerInvoke = MemoryLoopInstructions, Description = "memory loop (load, store; 16 MiB), per guest instruction")]
    public ulong MemoryBoundLoop() => RunFrom(MemoryLoop);

    private ulong RunFrom(ulong rip)
    {
        _cpu.Halted = false;
        _cpu.Rip = rip;
        _cpu.SetRegister(GeneralRegister.Rsp, Stack);
        _cpu.SetRegister(GeneralRegister.Rcx, Iterations);
        _cpu.SetRegister(GeneralRegister.Rsi, Source);
        _cpu.SetRegister(GeneralRegister.Rdi, Destination);
        var exit = _cpu.Run();
        if (exit.Reason != CpuExitReason.Halt)
        {
            throw new InvalidOperationException($"the benchmark loop stopped with {exit}");
        }
        return _cpu.GetRegister(GeneralRegister.Rax);
    }

    private void Write(ulong address, ulong value)
    {
        _memory.TryGetSpan(address, 8, out var span);
        BitConverter.TryWriteBytes(span, value);
    }

    private void Assemble(ulong address, Action<Assembler> build)
    {
        var assembler = new Assembler(64);
        build(assembler);
        using var stream = new MemoryStream();
        assembler.Assemble(new StreamCodeWriter(stream), address);
        _memory.TryGetSpan(address, (int)stream.Length, out var span);
        stream.ToArray().CopyTo(span);
    }
}
