using Iced.Intel;

namespace Turnstone.Cpu.Tests.TestSupport;

/// <summary>
/// A small long-mode guest for tests: 16 MiB of RAM, identity-mapped (the first 2 MiB in 4 KiB
/// pages, supervisor-only unless made user pages; the rest in 2 MiB pages), a GDT with kernel and
/// user segments laid out for SYSCALL/SYSRET, a 64-bit TSS with an I/O bitmap, and an IDT whose
/// gates all lead to <c>hlt</c> stubs (so a test sees which vector arrived from RIP).
/// </summary>
public sealed class LongModeMachine : TestMachine
{
    public const ulong Pml4 = 0x1000;
    public const ulong Pdpt = 0x2000;
    public const ulong PageDirectory = 0x3000;
    public const ulong PageTable = 0x4000;
    public const ulong Gdt = 0x5000;
    public const ulong Idt = 0x6000;
    public const ulong Tss = 0x7000;
    public const ulong IoBitmap = Tss + 0x68;
    public const ulong HandlerStubs = 0xA000;
    public const ulong KernelCode = 0x10000;
    public const ulong KernelStackTop = 0x20000;
    public const ulong InterruptStackTop = 0x30000;
    public const ulong UserCode = 0x40000;
    public const ulong UserStackTop = 0x51000;
    public const ulong DataPage = 0x60000;

    public const ushort KernelCodeSelector = 0x08;
    public const ushort KernelDataSelector = 0x10;
    public const ushort UserDataSelector = 0x23;
    public const ushort UserCodeSelector = 0x2B;
    public const ushort TssSelector = 0x30;

    public LongModeMachine(int tlbEntries = SoftwareCpu.DefaultTlbEntries) : base(tlbEntries)
    {
        WriteUInt64(Pml4, Pdpt | 7);
        WriteUInt64(Pdpt, PageDirectory | 7);
        WriteUInt64(PageDirectory, PageTable | 7);
        for (ulong i = 1; i < 8; i++)
        {
            WriteUInt64(PageDirectory + i * 8, (i << 21) | 0x87);
        }
        for (ulong page = 0; page < 512; page++)
        {
            WriteUInt64(PageTable + page * 8, (page << 12) | 3);
        }
        MakeUserPage(UserCode);
        MakeUserPage(UserStackTop - 0x1000);

        WriteUInt64(Gdt + 0x08, 0x00AF_9B00_0000_FFFF);
        WriteUInt64(Gdt + 0x10, 0x00CF_9300_0000_FFFF);
        WriteUInt64(Gdt + 0x18, 0x00CF_FB00_0000_FFFF);
        WriteUInt64(Gdt + 0x20, 0x00CF_F300_0000_FFFF);
        WriteUInt64(Gdt + 0x28, 0x00AF_FB00_0000_FFFF);
        const ulong tssLimit = 0x68 + 8192;
        WriteUInt64(Gdt + 0x30, (tssLimit & 0xFFFF) | ((Tss & 0xFF_FFFF) << 16) | (0x89UL << 40) | (((tssLimit >> 16) & 0xF) << 48) | ((Tss >> 24 & 0xFF) << 56));
        WriteUInt64(Gdt + 0x38, Tss >> 32);

        WriteUInt64(Tss + 4, KernelStackTop);
        WriteUInt64(Tss + 0x24, InterruptStackTop);
        WriteUInt16(Tss + 0x66, 0x68);
        WriteBytes(Tss + 0x68 + 8192, [0xFF]);

        var stubs = new Assembler(64);
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
            SetGate(vector, HandlerStubs + (ulong)vector * 16);
        }

        Cpu.Cr3 = Pml4;
        Cpu.Cr4 = 1 << 5;
        Cpu.Efer = (1 << 0) | (1 << 8) | (1 << 11);
        Cpu.Cr0 = 0x8001_0011;
        Cpu.Gdtr = new DescriptorTableRegister(Gdt, 0x3F);
        Cpu.Idtr = new DescriptorTableRegister(Idt, 256 * 16 - 1);
        Cpu.SetSegment(SegmentName.Cs, SegmentRegister.FlatCode64(KernelCodeSelector, 0));
        foreach (var name in new[] { SegmentName.Ss, SegmentName.Ds, SegmentName.Es, SegmentName.Fs, SegmentName.Gs })
        {
            Cpu.SetSegment(name, SegmentRegister.FlatData(KernelDataSelector, 0));
        }
        Cpu.Tr = new SegmentRegister(TssSelector, Tss, (uint)tssLimit, 0x8B);
        Cpu.TryWriteMsr(ModelSpecificRegister.Star, (0x18UL << 48) | (0x08UL << 32));
        Cpu.SetRegister(GeneralRegister.Rsp, KernelStackTop);
        Cpu.Rip = KernelCode;
        Cpu.Rflags = 2;
    }

    /// <summary>The vector whose <c>hlt</c> stub the CPU stopped after, or null if RIP is elsewhere.</summary>
    public int? VectorFromHaltRip()
    {
        ulong rip = Cpu.Rip - 1;
        if (rip < HandlerStubs || rip >= HandlerStubs + 256 * 16 || (rip - HandlerStubs) % 16 != 0)
        {
            return null;
        }
        return (int)((rip - HandlerStubs) / 16);
    }

    /// <summary>Writes an interrupt gate (or trap gate) for a vector.</summary>
    public void SetGate(int vector, ulong handler, int ist = 0, int dpl = 0, bool trap = false, ushort selector = KernelCodeSelector)
    {
        ulong type = trap ? 0xFUL : 0xEUL;
        ulong low = (handler & 0xFFFF) | ((ulong)selector << 16) | ((ulong)ist << 32) | (type << 40) | ((ulong)dpl << 45) | (1UL << 47) |
            ((handler >> 16 & 0xFFFF) << 48);
        WriteUInt64(Idt + (ulong)vector * 16, low);
        WriteUInt64(Idt + (ulong)vector * 16 + 8, handler >> 32);
    }

    public void MakeUserPage(ulong address) => SetPageEntry(address, (address & ~0xFFFUL) | 7);

    public void SetPageEntry(ulong address, ulong entry)
    {
        if (address >= 0x20_0000)
        {
            throw new ArgumentOutOfRangeException(nameof(address), "only the first 2 MiB is mapped with 4 KiB pages");
        }
        WriteUInt64(PageTable + (address >> 12) * 8, entry);
    }

    public ulong ReadPageEntry(ulong address) => ReadUInt64(PageTable + (address >> 12) * 8);

    public void Assemble(ulong address, Action<Assembler> build)
    {
        var assembler = new Assembler(64);
        build(assembler);
        Assemble(address, assembler);
    }
}
