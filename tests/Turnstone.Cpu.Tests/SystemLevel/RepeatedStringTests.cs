using Turnstone.Cpu.Tests.TestSupport;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Cpu.Tests.SystemLevel;

/// <summary>
/// REP STOS and REP MOVS, going forward or down (DF set), move whole runs within a page at once: the
/// memory and the registers they leave must be what element-by-element execution leaves, across page
/// ends and chunks, for overlapping moves (a destination just after the source going forward, or just
/// before it going down, replicates, as on the CPU), after a fault in the middle, and where a 16-bit
/// index wraps.
/// </summary>
public sealed class RepeatedStringTests
{
    private const ulong Data = LongModeMachine.DataPage;
    private const ulong NotPresent = 0x70000;
    private const byte Untouched = 0xEE;

    private static void Prefill(TestMachine machine, ulong address, int length, Func<int, byte> value)
    {
        var bytes = new byte[length];
        for (int n = 0; n < length; n++)
        {
            bytes[n] = value(n);
        }
        machine.WriteBytes(address, bytes);
    }

    private static byte ByteAt(TestMachine machine, ulong address) => (byte)machine.ReadUInt64(address);

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(4, false)]
    [InlineData(8, false)]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(4, true)]
    [InlineData(8, true)]
    public void Rep_stos_fills_across_pages_and_chunks_as_each_element_would(int size, bool down)
    {
        // The first element unaligned, two page ends ahead (going down: behind).
        ulong start = down ? Data + 0x3007 : Data + 0xFF3;
        ulong count = (ulong)(9000 / size); // more than one chunk of 4096 elements for bytes
        const ulong pattern = 0x1122_3344_5566_7788;
        using var machine = new LongModeMachine();
        Prefill(machine, Data, 0x4000, _ => Untouched);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            if (down)
            {
                a.std();
            }
            a.mov(rdi, start);
            a.mov(rcx, count);
            a.mov(rax, pattern);
            switch (size)
            {
                case 1: a.rep.stosb(); break;
                case 2: a.rep.stosw(); break;
                case 4: a.rep.stosd(); break;
                default: a.rep.stosq(); break;
            }
            a.hlt();
        });

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100_000).Reason);

        ulong lowest = down ? start - (count - 1) * (ulong)size : start;
        ulong end = lowest + count * (ulong)size;
        Assert.Equal(down ? lowest - (ulong)size : end, machine.Register(GeneralRegister.Rdi));
        Assert.Equal(0UL, machine.Register(GeneralRegister.Rcx));
        Assert.Equal(Untouched, ByteAt(machine, lowest - 1));
        Assert.Equal(Untouched, ByteAt(machine, end));
        for (ulong address = lowest; address < end; address++)
        {
            Assert.Equal((byte)(pattern >> (int)((address - lowest) % (ulong)size * 8)), ByteAt(machine, address));
        }
    }

    [Fact]
    public void Rep_movsb_onto_the_byte_after_its_source_replicates_the_first_byte_as_the_cpu_does()
    {
        using var machine = new LongModeMachine();
        Prefill(machine, Data, 0x200, n => (byte)(n + 1));
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(rsi, Data);
            a.mov(rdi, Data + 1);
            a.mov(rcx, 0x180);
            a.rep.movsb();
            a.hlt();
        });

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100_000).Reason);

        for (ulong n = 0; n <= 0x180; n++)
        {
            Assert.Equal(1, ByteAt(machine, Data + n));
        }
        Assert.Equal(0x82, ByteAt(machine, Data + 0x181)); // not written: its original (0x181 + 1) & 0xFF
        Assert.Equal(Data + 0x181, machine.Register(GeneralRegister.Rdi));
        Assert.Equal(Data + 0x180, machine.Register(GeneralRegister.Rsi));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public void Rep_movs_down_onto_an_overlapping_source_and_across_pages_copies_as_each_element_would(int size)
    {
        // Destination 16 bytes below the source: each element is read before it is overwritten.
        const ulong destination = Data + 0xFF8, source = destination + 16;
        ulong count = (ulong)(6000 / size);
        using var machine = new LongModeMachine();
        Prefill(machine, Data, 0x4000, n => (byte)(n * 7 + 3));
        var original = new byte[0x4000];
        for (int n = 0; n < original.Length; n++)
        {
            original[n] = (byte)(n * 7 + 3);
        }
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.mov(rsi, source);
            a.mov(rdi, destination);
            a.mov(rcx, count);
            if (size == 1)
            {
                a.rep.movsb();
            }
            else
            {
                a.rep.movsq();
            }
            a.hlt();
        });

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100_000).Reason);

        ulong bytes = count * (ulong)size;
        for (ulong n = 0; n < bytes; n++)
        {
            Assert.Equal(original[source - Data + n], ByteAt(machine, destination + n));
        }
        Assert.Equal(original[destination - Data + bytes], ByteAt(machine, destination + bytes)); // the source's tail, not written
        Assert.Equal(source + bytes, machine.Register(GeneralRegister.Rsi));
        Assert.Equal(destination + bytes, machine.Register(GeneralRegister.Rdi));
    }

    [Theory]
    [InlineData(false, NotPresent - 0x1800, NotPresent, 0x800, NotPresent - 1)]
    [InlineData(true, NotPresent + 0x1800, NotPresent + 0xFFF, 0x2000 - 0x801, NotPresent + 0x1000)]
    public void A_fault_in_the_middle_of_rep_stos_leaves_rcx_and_rdi_at_the_element_that_faulted(bool down, ulong start, ulong faulting, ulong left, ulong lastWritten)
    {
        using var machine = new LongModeMachine();
        machine.SetPageEntry(NotPresent, 0);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            if (down)
            {
                a.std();
            }
            a.mov(rdi, start);
            a.mov(rcx, 0x2000);
            a.mov(al, 0x5A);
            a.rep.stosb();
            a.hlt();
        });

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100_000).Reason);

        Assert.Equal<int?>((int)ExceptionVector.PageFault, machine.VectorFromHaltRip());
        Assert.Equal(faulting, machine.Cpu.Cr2);
        Assert.Equal(faulting, machine.Register(GeneralRegister.Rdi));
        Assert.Equal(left, machine.Register(GeneralRegister.Rcx));
        Assert.Equal(0x5A, ByteAt(machine, start));
        Assert.Equal(0x5A, ByteAt(machine, lastWritten));
    }

    [Theory]
    [InlineData(0xFFFE, false, 2, 0x70100)]  // FFFEh, FFFFh, then 0 and 1
    [InlineData(1, true, 0xFFFD, 0x700FD)]   // 1, 0, then FFFFh and FFFEh
    public void A_16_bit_destination_index_wraps_within_its_segment(ushort startDi, bool down, ulong endDi, ulong untouched)
    {
        // ES's base is not page-aligned: the wrap between DI FFFFh and 0 falls inside a page.
        using var machine = new LegacyModeMachine();
        machine.Cpu.ResetForBootSector();
        Prefill(machine, 0x700F0, 0x20, _ => Untouched);
        Prefill(machine, 0x60100, 0x10, _ => Untouched);
        machine.Assemble(0x7C00, 16, a =>
        {
            a.mov(ax, 0x6010);
            a.mov(es, ax);
            a.mov(di, startDi);
            a.mov(cx, 4);
            a.mov(al, 0x5A);
            if (down)
            {
                a.std();
            }
            a.rep.stosb();
            a.hlt();
        });

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(1000).Reason);

        Assert.Equal(0x5A, ByteAt(machine, 0x700FE));
        Assert.Equal(0x5A, ByteAt(machine, 0x700FF));
        Assert.Equal(0x5A, ByteAt(machine, 0x60100));
        Assert.Equal(0x5A, ByteAt(machine, 0x60101));
        Assert.Equal(Untouched, ByteAt(machine, untouched));
        Assert.Equal(Untouched, ByteAt(machine, 0x60102));
        Assert.Equal(endDi, machine.Register(GeneralRegister.Rdi) & 0xFFFF);
        Assert.Equal(0UL, machine.Register(GeneralRegister.Rcx) & 0xFFFF);
    }
    /// <summary>GRUB's memmove of a range up onto itself (destination above an overlapping source: STD, then REP MOVS from the
    /// top) and the other overlap going down (destination below: each element lands where a later one is read, and repeats).</summary>
    [Theory]
    [InlineData(1, 16)]
    [InlineData(8, 16)]
    [InlineData(4, 6)]
    [InlineData(1, -1)]
    [InlineData(8, -16)]
    [InlineData(2, -3)]
    public void Rep_movs_going_down_over_an_overlapping_range_copies_as_each_element_would(int size, int destinationAboveSource)
    {
        const ulong source = Data + 0x1000 - 0x305; // the lowest source element; the run crosses two page ends
        ulong destination = (ulong)((long)source + destinationAboveSource);
        ulong count = (ulong)(6000 / size);
        ulong bytes = count * (ulong)size;
        using var machine = new LongModeMachine();
        var memory = new byte[0x4000];
        for (int n = 0; n < memory.Length; n++)
        {
            memory[n] = (byte)(n * 7 + 3);
        }
        machine.WriteBytes(Data, memory);
        machine.Assemble(LongModeMachine.KernelCode, a =>
        {
            a.std();
            a.mov(rsi, source + bytes - (ulong)size);
            a.mov(rdi, destination + bytes - (ulong)size);
            a.mov(rcx, count);
            switch (size)
            {
                case 1: a.rep.movsb(); break;
                case 2: a.rep.movsw(); break;
                case 4: a.rep.movsd(); break;
                default: a.rep.movsq(); break;
            }
            a.hlt();
        });
        // The reference: one element at a time from the top, as the SDM describes MOVS.
        for (ulong n = count; n-- > 0;)
        {
            var element = memory.AsSpan((int)(source - Data + n * (ulong)size), size).ToArray();
            element.CopyTo(memory.AsSpan((int)(destination - Data + n * (ulong)size)));
        }

        Assert.Equal(CpuExitReason.Halt, machine.Cpu.Run(100_000).Reason);

        for (int n = 0; n < memory.Length; n++)
        {
            Assert.True(memory[n] == ByteAt(machine, Data + (ulong)n), $"byte at Data + {n:X}: expected {memory[n]:X2}, got {ByteAt(machine, Data + (ulong)n):X2}");
        }
        Assert.Equal(source - (ulong)size, machine.Register(GeneralRegister.Rsi));
        Assert.Equal(destination - (ulong)size, machine.Register(GeneralRegister.Rdi));
        Assert.Equal(0UL, machine.Register(GeneralRegister.Rcx));
    }
}
