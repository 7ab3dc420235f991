using System.Buffers.Binary;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Bench.Engine;

/// <summary>
/// A bare guest assembled with Iced that runs one benchmark loop and ends with a write to QEMU's
/// isa-debug-exit port. One image serves both engines: QEMU boots it as a PVH ELF (32-bit entry,
/// which switches to long mode through the page tables and GDT baked into the image), the software
/// CPU starts it directly at <see cref="LongModeEntry"/> with those same page tables. Every
/// instruction after <see cref="LongModeEntry"/> is the same on both.
/// </summary>
public sealed class LoopGuest
{
    public const uint LoadAddress = 0x10_0000;
    public const uint PageTables = LoadAddress + 0x1000; // PML4, PDPT and one PD: 1 GiB identity-mapped with 2 MiB pages
    public const uint LongModeEntry = LoadAddress + 0x5000;
    public const ushort ExitPort = 0xF4;
    public const ulong Source = 0x100_0000, Destination = 0x200_0000;
    /// <summary>Elements per pass of the memory loop: 8 MiB per array, more than the caches hold per core.</summary>
    public const long MemoryElements = 1 << 20;
    /// <summary>Guest memory the loops need (the arrays end below 48 MiB).</summary>
    public const ulong MemoryBytes = 64 << 20;

    public const int IntegerInstructionsPerIteration = 8;
    public const int MemoryInstructionsPerElement = 6;
    /// <summary>mov rcx, elements; then dec r8; jnz outer around each pass.</summary>
    public const int MemoryInstructionsPerPassOverhead = 3;

    private const uint GdtAddress = LoadAddress + 0x4000, GdtPointer = GdtAddress + 0x100, StackTop = LoadAddress + 0x8000;
    private const ushort CodeSelector = 8, DataSelector = 16;

    private LoopGuest(GuestLoopKind kind, long iterations, byte[] image)
    {
        Kind = kind;
        Iterations = iterations;
        Image = image;
    }

    public GuestLoopKind Kind { get; }

    /// <summary>Iterations of the integer loop, or passes of the memory loop; 0 builds the empty guest
    /// (the same entry and exit without the loop), which measures QEMU's start-up and the fixed instructions.</summary>
    public long Iterations { get; }

    /// <summary>The bytes loaded at <see cref="LoadAddress"/>.</summary>
    public byte[] Image { get; }

    /// <summary>Guest instructions the loop itself retires: exact, by construction of the code below.</summary>
    public long LoopInstructions => LoopInstructionsFor(Kind, Iterations);

    /// <summary>
    /// The integer loop's body, RCX times (8 instructions an iteration: dependent ALU work, an
    /// address computation and a compare, as compiled integer code does); also the body of the
    /// software CPU's BenchmarkDotNet loop, so both measure the same instructions.
    /// </summary>
    public static void EmitIntegerLoop(Assembler a)
    {
        var loop = a.CreateLabel();
        a.Label(ref loop);
        a.mov(rdx, rax);
        a.shr(rdx, 3);
        a.add(rax, rdx);
        a.xor(rax, rcx);
        a.lea(rbx, __[rbx + rax * 2]);
        a.cmp(rbx, rsi);
        a.dec(rcx);
        a.jnz(loop);
    }

    public static long LoopInstructionsFor(GuestLoopKind kind, long iterations) => kind switch
    {
        GuestLoopKind.Integer => iterations * IntegerInstructionsPerIteration,
        _ => iterations * (MemoryElements * MemoryInstructionsPerElement + MemoryInstructionsPerPassOverhead),
    };

    public static LoopGuest Build(GuestLoopKind kind, long iterations)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iterations);
        var image = new byte[(int)(StackTop - LoadAddress)];
        var span = image.AsSpan();
        Assemble32().CopyTo(span);
        BinaryPrimitives.WriteUInt64LittleEndian(span[0x1000..], (PageTables + 0x1000) | 3);
        BinaryPrimitives.WriteUInt64LittleEndian(span[0x2000..], (PageTables + 0x2000) | 3);
        for (int i = 0; i < 512; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span[(0x3000 + i * 8)..], ((ulong)i << 21) | 0x83);
        }
        BinaryPrimitives.WriteUInt64LittleEndian(span[(0x4000 + CodeSelector)..], 0x00AF_9A00_0000_FFFF);
        BinaryPrimitives.WriteUInt64LittleEndian(span[(0x4000 + DataSelector)..], 0x00CF_9200_0000_FFFF);
        BinaryPrimitives.WriteUInt16LittleEndian(span[0x4100..], 23);
        BinaryPrimitives.WriteUInt32LittleEndian(span[0x4102..], GdtAddress);
        byte[] code64 = Assemble64(kind, iterations);
        if (code64.Length > 0x2000)
        {
            throw new InvalidOperationException("the loop guest's 64-bit code outgrew its pages");
        }
        code64.CopyTo(span[(int)(LongModeEntry - LoadAddress)..]);
        return new LoopGuest(kind, iterations, image);
    }

    /// <summary>The PVH ELF QEMU boots with <c>-kernel</c>.</summary>
    public byte[] ToPvhElf() => PvhElf.Build(Image, LoadAddress, LoadAddress);

    /// <summary>PVH entry: 32-bit protected mode, paging off. Into long mode with the baked tables.</summary>
    private static byte[] Assemble32()
    {
        var a = new Assembler(32);
        a.lgdt(__[GdtPointer]);
        a.mov(eax, cr4);
        a.or(eax, 1 << 5); // PAE
        a.mov(cr4, eax);
        a.mov(eax, PageTables);
        a.mov(cr3, eax);
        a.mov(ecx, 0xC000_0080); // EFER
        a.rdmsr();
        a.or(eax, 1 << 8); // LME
        a.wrmsr();
        a.mov(eax, cr0);
        a.or(eax, 0x8000_0001);
        a.mov(cr0, eax);
        // jmp far CodeSelector:LongModeEntry (Iced's assembler has no far jump with an immediate pointer).
        a.db(0xEA);
        a.dd(LongModeEntry);
        a.dw(CodeSelector);
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), LoadAddress);
        return stream.ToArray();
    }

    private static byte[] Assemble64(GuestLoopKind kind, long iterations)
    {
        var a = new Assembler(64);
        a.mov(eax, DataSelector);
        a.mov(ss, ax);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(rsp, StackTop);
        a.mov(eax, 1);
        a.xor(ebx, ebx);
        a.mov(rsi, Source);
        a.mov(rdi, Destination);
        // The counters load in the empty guest too, so the loop alone is the difference.
        a.mov(rcx, (ulong)iterations);
        a.mov(r8, (ulong)iterations);
        if (iterations > 0 && kind == GuestLoopKind.Integer)
        {
            EmitIntegerLoop(a);
        }
        else if (iterations > 0)
        {
            Label outer = a.CreateLabel(), inner = a.CreateLabel();
            a.Label(ref outer);
            a.mov(ecx, (uint)MemoryElements);
            a.Label(ref inner);
            a.mov(rdx, __qword_ptr[rsi + rcx * 8]);
            a.add(rdx, rax);
            a.mov(__qword_ptr[rdi + rcx * 8], rdx);
            a.add(rax, 3);
            a.dec(rcx);
            a.jnz(inner);
            a.dec(r8);
            a.jnz(outer);
        }
        a.xor(eax, eax);
        a.@out((byte)ExitPort, al); // isa-debug-exit: QEMU exits with status (0 << 1) | 1
        var halt = a.CreateLabel();
        a.Label(ref halt);
        a.hlt();
        a.jmp(halt);
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), LongModeEntry);
        return stream.ToArray();
    }
}
