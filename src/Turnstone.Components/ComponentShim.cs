using Iced.Intel;
using Turnstone.GuestMemory;
using static Iced.Intel.AssemblerRegisters;

namespace Turnstone.Components;

/// <summary>
/// The ring-0 part of a component VM: GDT, TSS (with an I/O bitmap that opens only the hypercall
/// port to CPL 3), and an IDT whose 32 exception gates lead to stubs assembled with Iced. Stub v
/// is a single <c>out</c> to port <see cref="ComponentLayout.FaultPortBase"/> + v: it changes no
/// register, so the monitor sees the component's registers as they were at the fault, and the
/// exception frame on the shim stack. The component never returns from a fault.
/// </summary>
public static class ComponentShim
{
    public const ushort KernelCode = 0x08, KernelData = 0x10, UserCode = 0x1B, UserData = 0x23, TaskState = 0x28;
    internal const ulong StubSize = 16;
    private const int IoBitmapOffset = 0x68, IoBitmapBytes = 0x10000 / 8;
    /// <summary>TSS limit: the 104-byte TSS, the bitmap, and the terminating all-ones byte the CPU may read.</summary>
    internal const uint TaskStateLimit = IoBitmapOffset + IoBitmapBytes;

    public static void Write(IGuestMemory memory)
    {
        // null, kernel code, kernel data, user code, user data, 64-bit TSS (two slots)
        ulong tss = ComponentLayout.Tss;
        ulong tssLow = (TaskStateLimit & 0xFFFF) | ((tss & 0xFF_FFFF) << 16) | (0x89ul << 40) | ((ulong)(TaskStateLimit >> 16 & 0xF) << 48) | ((tss >> 24 & 0xFF) << 56);
        ulong[] gdt = [0, 0x00AF_9B00_0000_FFFF, 0x00CF_9300_0000_FFFF, 0x00AF_FB00_0000_FFFF, 0x00CF_F300_0000_FFFF, tssLow, tss >> 32];
        for (int i = 0; i < gdt.Length; i++)
        {
            memory.WriteUInt64(ComponentLayout.Gdt + (ulong)i * 8, gdt[i]);
        }

        memory.WriteUInt64(tss + 4, ComponentLayout.ShimStackTop); // RSP0: where exceptions from CPL 3 land
        memory.WriteUInt16(tss + 0x66, IoBitmapOffset);
        var bitmap = memory.GetSpan(tss + IoBitmapOffset, IoBitmapBytes + 1);
        bitmap.Fill(0xFF);
        bitmap[ComponentLayout.HypercallPort / 8] &= unchecked((byte)~(1 << (ComponentLayout.HypercallPort % 8)));

        memory.Write(ComponentLayout.ShimCode, Stubs.Value);
        for (int vector = 0; vector < ComponentLayout.ExceptionVectors; vector++)
        {
            ulong stub = ComponentLayout.ShimCode + (ulong)vector * StubSize;
            // present, DPL 0 (so `int n` from CPL 3 is a #GP, not a way in), 64-bit interrupt gate
            ulong low = (stub & 0xFFFF) | ((ulong)KernelCode << 16) | (0x8Eul << 40) | ((stub >> 16 & 0xFFFF) << 48);
            memory.WriteUInt64(ComponentLayout.Idt + (ulong)vector * 16, low);
            memory.WriteUInt64(ComponentLayout.Idt + (ulong)vector * 16 + 8, stub >> 32);
        }
    }

    /// <summary>The 32 stubs, assembled once per process (immutable): assembling them per VM cost a
    /// measurable share of a component's creation.</summary>
    private static readonly Lazy<byte[]> Stubs = new(() =>
    {
        var stubs = new byte[ComponentLayout.ExceptionVectors * StubSize];
        for (int vector = 0; vector < ComponentLayout.ExceptionVectors; vector++)
        {
            ulong stub = ComponentLayout.ShimCode + (ulong)vector * StubSize;
            var assembler = new Assembler(64);
            assembler.@out((byte)(ComponentLayout.FaultPortBase + vector), al);
            assembler.hlt(); // never resumed: the monitor ends the VM at the out
            var code = new MemoryStream();
            assembler.Assemble(new StreamCodeWriter(code), stub);
            code.ToArray().CopyTo(stubs, (int)((ulong)vector * StubSize));
        }
        return stubs;
    });

    internal const ushort GdtLimit = 7 * 8 - 1;

    internal const ushort IdtLimit = ComponentLayout.ExceptionVectors * 16 - 1;

    /// <summary>The exception vector a shim stub at <paramref name="rip"/> (just past its out) reports, if it is one.</summary>
    internal static int? VectorAt(ulong rip)
    {
        if (rip < ComponentLayout.ShimCode || rip >= ComponentLayout.ShimCode + ComponentLayout.ExceptionVectors * StubSize)
        {
            return null;
        }
        return (int)((rip - ComponentLayout.ShimCode) / StubSize);
    }

    /// <summary>Vectors for which the CPU pushes an error code.</summary>
    internal static bool HasErrorCode(int vector) => vector is 8 or 10 or 11 or 12 or 13 or 14 or 17 or 21 or 29 or 30;
}
