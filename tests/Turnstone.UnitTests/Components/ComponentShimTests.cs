using Iced.Intel;
using Turnstone.Components;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Components;

/// <summary>
/// <see cref="ComponentShim.Write"/>: the GDT, the TSS with its I/O permission bitmap, the IDT and the fault stubs,
/// decoded by hand from guest memory the way the CPU reads them.
/// </summary>
public sealed class ComponentShimTests
{
    private const ulong Gdt = 0x4000, Tss = 0x5000, Idt = 0x8000, ShimCode = 0x9000;
    private const int IoBitmapOffset = 0x68, IoBitmapBytes = 65536 / 8;

    private readonly ArrayGuestMemory _memory = new(0x10_0000);

    public ComponentShimTests() => ComponentShim.Write(_memory);

    [Fact]
    public void The_monitor_structures_are_where_the_layout_says()
    {
        Assert.Equal(Gdt, ComponentLayout.Gdt);
        Assert.Equal(Tss, ComponentLayout.Tss);
        Assert.Equal(Idt, ComponentLayout.Idt);
        Assert.Equal(ShimCode, ComponentLayout.ShimCode);
    }

    [Fact]
    public void The_TSS_points_at_its_IO_bitmap()
    {
        Assert.Equal((ushort)IoBitmapOffset, _memory.ReadUInt16(Tss + 0x66));
    }

    [Fact]
    public void The_IO_bitmap_opens_only_the_hypercall_port()
    {
        var bitmap = _memory.GetSpan(Tss + IoBitmapOffset, IoBitmapBytes);
        var open = new List<int>();
        for (int port = 0; port < 65536; port++)
        {
            if ((bitmap[port / 8] & (1 << (port % 8))) == 0)
            {
                open.Add(port);
            }
        }

        Assert.Equal([0xE8], open);
    }

    [Fact]
    public void The_IO_bitmap_is_followed_by_an_all_ones_byte()
    {
        Assert.Equal(0xFF, _memory.ReadByte(Tss + IoBitmapOffset + IoBitmapBytes));
    }

    [Fact]
    public void RSP0_is_the_top_of_the_shim_stack()
    {
        Assert.Equal(ComponentLayout.ShimStackTop, _memory.ReadUInt64(Tss + 4));
        Assert.Equal(0ul, ComponentLayout.ShimStackTop % 16);
        Assert.True(ComponentLayout.ShimStackTop > ComponentLayout.ShimStackBottom);
    }

    [Fact]
    public void The_TSS_uses_no_interrupt_stack_table()
    {
        for (int ist = 1; ist <= 7; ist++)
        {
            Assert.Equal(0ul, _memory.ReadUInt64(Tss + 0x24 + (ulong)(ist - 1) * 8));
        }
    }

    [Fact]
    public void The_IDT_has_32_present_DPL_0_interrupt_gates_to_the_stubs()
    {
        for (int vector = 0; vector < 32; vector++)
        {
            ulong low = _memory.ReadUInt64(Idt + (ulong)vector * 16), high = _memory.ReadUInt64(Idt + (ulong)vector * 16 + 8);
            ulong target = (low & 0xFFFF) | ((low >> 48 & 0xFFFF) << 16) | ((high & 0xFFFF_FFFF) << 32);
            byte attributes = (byte)(low >> 40);

            Assert.Equal(ShimCode + (ulong)vector * 16, target);
            Assert.Equal(ComponentShim.KernelCode, (ushort)(low >> 16));
            Assert.Equal(0, (int)(low >> 32 & 0x7));                // IST 0: the TSS's RSP0
            Assert.True((attributes & 0x80) != 0, $"gate {vector} is not present");
            Assert.Equal(0, attributes >> 5 & 3);                  // DPL 0: `int n` from CPL 3 is a #GP
            Assert.Equal(0xE, attributes & 0xF);                    // 64-bit interrupt gate
            Assert.Equal(0ul, high >> 32);                         // reserved
        }
    }

    [Fact]
    public void There_is_no_gate_past_vector_31()
    {
        Assert.Equal(0ul, _memory.ReadUInt64(Idt + 32 * 16));
        Assert.Equal(0ul, _memory.ReadUInt64(Idt + 32 * 16 + 8));
        Assert.Equal(32, (ComponentShim.IdtLimit + 1) / 16);
    }

    [Fact]
    public void Each_stub_is_an_out_to_its_fault_port_from_AL()
    {
        for (int vector = 0; vector < 32; vector++)
        {
            ulong stub = ShimCode + (ulong)vector * 16;
            var decoder = Decoder.Create(64, new ByteArrayCodeReader(_memory.GetSpan(stub, 16).ToArray()), stub);
            var instruction = decoder.Decode();

            Assert.Equal(Code.Out_imm8_AL, instruction.Code);
            Assert.Equal(Mnemonic.Out, instruction.Mnemonic);
            Assert.Equal(OpKind.Immediate8, instruction.Op0Kind);
            Assert.Equal(0xC0 + vector, instruction.Immediate8);
            Assert.Equal(Register.AL, instruction.Op1Register);
            // Whatever follows must never run on: the stub ends in its 16 bytes and is not followed by the next vector's code.
            var next = decoder.Decode();
            Assert.Equal(Mnemonic.Hlt, next.Mnemonic);
            Assert.True(next.NextIP <= stub + 16);
        }
    }

    [Fact]
    public void The_fault_ports_do_not_include_the_hypercall_port()
    {
        Assert.DoesNotContain(ComponentLayout.HypercallPort, Enumerable.Range(ComponentLayout.FaultPortBase, ComponentLayout.ExceptionVectors));
    }

    [Fact]
    public void VectorAt_maps_each_stub_back_to_its_vector()
    {
        for (int vector = 0; vector < 32; vector++)
        {
            ulong stub = ShimCode + (ulong)vector * 16;
            Assert.Equal(vector, ComponentShim.VectorAt(stub));
            Assert.Equal(vector, ComponentShim.VectorAt(stub + 2)); // RIP just past the two-byte out
            Assert.Equal(vector, ComponentShim.VectorAt(stub + 15));
        }
    }

    [Theory]
    [InlineData(0ul)]
    [InlineData(0x8FFFul)]
    [InlineData(0x9200ul)]  // first byte past the 32 stubs
    [InlineData(0x9FFFul)]
    [InlineData(0x40_1000ul)]
    [InlineData(ulong.MaxValue)]
    public void VectorAt_is_null_outside_the_stubs(ulong rip)
    {
        Assert.Null(ComponentShim.VectorAt(rip));
    }

    [Fact]
    public void HasErrorCode_is_true_exactly_for_the_vectors_the_CPU_pushes_one_for()
    {
        int[] expected = [8, 10, 11, 12, 13, 14, 17, 21, 29, 30];

        Assert.Equal(expected, Enumerable.Range(0, 32).Where(ComponentShim.HasErrorCode));
    }

    [Fact]
    public void The_GDT_TSS_descriptor_encodes_the_TSS_base_and_limit()
    {
        ulong low = _memory.ReadUInt64(Gdt + ComponentShim.TaskState), high = _memory.ReadUInt64(Gdt + ComponentShim.TaskState + 8);
        ulong limit = (low & 0xFFFF) | ((low >> 48 & 0xF) << 16);
        ulong @base = (low >> 16 & 0xFF_FFFF) | ((low >> 56 & 0xFF) << 24) | ((high & 0xFFFF_FFFF) << 32);
        byte access = (byte)(low >> 40);

        Assert.Equal(ComponentLayout.Tss, @base);
        Assert.Equal((ulong)ComponentShim.TaskStateLimit, limit);
        // The limit reaches the I/O bitmap's terminating byte: TSS + 0x68 + 8192.
        Assert.Equal(0x2068ul, limit);
        Assert.Equal(0x9, access & 0xF);         // available 64-bit TSS
        Assert.Equal(0x80, access & 0x80);       // present
        Assert.Equal(0, access & 0x10);          // a system descriptor
        Assert.Equal(0, access >> 5 & 3);        // DPL 0
        Assert.Equal(0ul, low >> 52 & 0xF);      // no granularity: the limit is in bytes
        Assert.Equal(0ul, high >> 32);           // reserved
    }

    [Theory]
    [InlineData(ComponentShim.KernelCode, 0, true)]
    [InlineData(ComponentShim.UserCode, 3, true)]
    [InlineData(ComponentShim.KernelData, 0, false)]
    [InlineData(ComponentShim.UserData, 3, false)]
    public void The_code_and_data_selectors_index_descriptors_of_their_privilege(ushort selector, int dpl, bool code)
    {
        Assert.Equal(dpl, selector & 3); // RPL
        ulong descriptor = _memory.ReadUInt64(Gdt + (ulong)(selector & ~7));
        byte access = (byte)(descriptor >> 40);

        Assert.Equal(0x80, access & 0x80);
        Assert.Equal(0x10, access & 0x10);       // code or data
        Assert.Equal(dpl, access >> 5 & 3);
        Assert.Equal(code, (access & 0x08) != 0);
        if (code)
        {
            Assert.Equal(1ul, descriptor >> 53 & 1); // L: 64-bit code
            Assert.Equal(0ul, descriptor >> 54 & 1); // D must be clear with L
        }
        else
        {
            Assert.Equal(0x02, access & 0x02);   // writable
        }
    }

    [Fact]
    public void The_GDT_limit_covers_the_TSS_descriptor_and_the_null_descriptor_is_zero()
    {
        Assert.Equal(0ul, _memory.ReadUInt64(Gdt));
        Assert.True(ComponentShim.GdtLimit >= ComponentShim.TaskState + 15);
    }

    [Fact]
    public void Nothing_outside_the_GDT_TSS_IDT_and_shim_code_pages_is_written()
    {
        var all = _memory.GetSpan(0, 0x10_0000);

        Assert.Equal(-1, all[..0x4000].IndexOfAnyExcept((byte)0));
        Assert.Equal(-1, all[0xA000..].IndexOfAnyExcept((byte)0));
    }
}
