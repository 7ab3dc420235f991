using Iced.Intel;

namespace Turnstone.Cpu.Tests.TestSupport;

/// <summary>
/// A guest for the modes outside 64-bit long mode: 16 MiB of RAM, a GDT with flat 32-bit, 64-bit
/// and 16-bit segments (and a 32-bit data segment based at 1 MiB), 4-level page tables identity-
/// mapping the first GiB with 2 MiB pages (for the switch to long mode), a 32-bit IDT whose gates
/// lead to <c>hlt</c> stubs, and a 32-bit TSS. Starts in one of the modes via the Enter methods.
/// </summary>
public sealed class LegacyModeMachine : TestMachine
{
    public const ulong Pml4 = 0x1000;
    public const ulong Pdpt = 0x2000;
    public const ulong PageDirectory = 0x3000;
    public const ulong Gdt = 0x5000;
    public const ulong GdtPointer = 0x5800;
    public const ulong Idt = 0x6000;
    public const ulong Tss = 0x7000;
    public const ulong HandlerStubs = 0xA000;
    public const ulong Code = 0x10000;
    public const ulong StackTop = 0x20000;
    public const ulong InnerStackTop = 0x30000;
    public const ulong DataPage = 0x60000;

    public const ushort Code32Selector = 0x08;
    public const ushort Data32Selector = 0x10;
    public const ushort Code64Selector = 0x18;
    public const ushort Code16Selector = 0x20;
    public const ushort Data16Selector = 0x28;
    public const ushort UserCode32Selector = 0x33;
    public const ushort UserData32Selector = 0x3B;
    public const ushort TssSelector = 0x40;
    /// <summary>A flat-limit 32-bit data segment whose base is 1 MiB.</summary>
    public const ushort Based32Selector = 0x48;
    public const ulong Based32Base = 0x10_0000;

    public LegacyModeMachine()
    {
        WriteUInt64(Pml4, Pdpt | 3);
        WriteUInt64(Pdpt, PageDirectory | 3);
        for (ulong i = 0; i < 512; i++)
        {
            WriteUInt64(PageDirectory + i * 8, (i << 21) | 0x83);
        }
        WriteUInt64(Gdt + 0x08, 0x00CF_9B00_0000_FFFF);
        WriteUInt64(Gdt + 0x10, 0x00CF_9300_0000_FFFF);
        WriteUInt64(Gdt + 0x18, 0x00AF_9B00_0000_FFFF);
        WriteUInt64(Gdt + 0x20, 0x0000_9B00_0000_FFFF);
        WriteUInt64(Gdt + 0x28, 0x0000_9300_0000_FFFF);
        WriteUInt64(Gdt + 0x30, 0x00CF_FB00_0000_FFFF);
        WriteUInt64(Gdt + 0x38, 0x00CF_F300_0000_FFFF);
        WriteUInt64(Gdt + 0x40, 0x67 | ((Tss & 0xFF_FFFF) << 16) | (0x89UL << 40));
        WriteUInt64(Gdt + 0x48, 0x00CF_9310_0000_FFFF);
        WriteUInt16(GdtPointer, 0x4F);
        WriteUInt64(GdtPointer + 2, Gdt);
        WriteUInt64(Tss + 4, InnerStackTop);
        WriteUInt16(Tss + 8, Data32Selector);

        var stubs = new Assembler(32);
        for (int vector = 0; vector < 256; vector++)
        {
            stubs.hlt();
            while ((stubs.Instructions.Count & 15) != 0)
            {
                stubs.nop();
            }
        }
        Assemble(HandlerStubs, stubs);
        for (int vector = 0; vector < 256; vector++)
        {
            SetGate32(vector, (uint)(HandlerStubs + (ulong)vector * 16));
        }
    }

    /// <summary>32-bit protected mode without paging at CPL 0, flat segments, as a PVH entry leaves it.</summary>
    public void EnterProtectedMode32(ulong eip = Code)
    {
        Cpu.Cr0 = 0x11;
        Cpu.Gdtr = new DescriptorTableRegister(Gdt, 0x4F);
        Cpu.Idtr = new DescriptorTableRegister(Idt, 256 * 8 - 1);
        Cpu.SetSegment(SegmentName.Cs, new SegmentRegister(Code32Selector, 0, 0xFFFF_FFFF, 0xC09B));
        foreach (var name in new[] { SegmentName.Ss, SegmentName.Ds, SegmentName.Es, SegmentName.Fs, SegmentName.Gs })
        {
            Cpu.SetSegment(name, new SegmentRegister(Data32Selector, 0, 0xFFFF_FFFF, 0xC093));
        }
        Cpu.Tr = new SegmentRegister(TssSelector, Tss, 0x67, 0x8B);
        Cpu.SetRegister(GeneralRegister.Rsp, StackTop);
        Cpu.Rip = eip;
        Cpu.Rflags = 2;
    }

    /// <summary>The vector whose <c>hlt</c> stub the CPU stopped after, or null if EIP is elsewhere.</summary>
    public int? VectorFromHaltRip()
    {
        ulong rip = Cpu.Rip - 1;
        if (rip < HandlerStubs || rip >= HandlerStubs + 256 * 16 || (rip - HandlerStubs) % 16 != 0)
        {
            return null;
        }
        return (int)((rip - HandlerStubs) / 16);
    }

    /// <summary>A 32-bit interrupt gate (or trap gate) in the 8-byte-entry IDT.</summary>
    public void SetGate32(int vector, uint handler, int dpl = 0, bool trap = false, ushort selector = Code32Selector)
    {
        ulong type = trap ? 0xFUL : 0xEUL;
        ulong gate = (handler & 0xFFFFUL) | ((ulong)selector << 16) | (type << 40) | ((ulong)dpl << 45) | (1UL << 47) | ((ulong)(handler >> 16) << 48);
        WriteUInt64(Idt + (ulong)vector * 8, gate);
    }

    public void Assemble(ulong address, int bitness, Action<Assembler> build)
    {
        var assembler = new Assembler(bitness);
        build(assembler);
        Assemble(address, assembler);
    }
}
