using Iced.Intel;
using Turnstone.GuestMemory;
using Turnstone.Hypervisor.Emulation;
using Turnstone.Hypervisor.Interop;

namespace Turnstone.UnitTests.TestSupport;

/// <summary>
/// Hand-built x86-64 4-level page tables in guest memory. Tables are taken from a pool starting at
/// <c>tablePool</c>; intermediate entries get <c>tableFlags</c> when they are created, so tests can
/// make a walk lose the user or writable right at any level.
/// </summary>
internal sealed class PageTableBuilder
{
    public const ulong Present = 1, Writable = 2, User = 4, LargePage = 0x80;
    public const ulong AllTableRights = Present | Writable | User;
    private const ulong AddressMask = 0x000F_FFFF_FFFF_F000;

    private readonly IGuestMemory _memory;
    private ulong _nextTable;

    public PageTableBuilder(IGuestMemory memory, ulong tablePool)
    {
        _memory = memory;
        _nextTable = tablePool;
        Pml4 = NewTable();
    }

    /// <summary>The CR3 value.</summary>
    public ulong Pml4 { get; }

    public PagingMode LongMode => new(GuestCpu.Cr0, Pml4, GuestCpu.Cr4, GuestCpu.Efer);

    public PageTableBuilder Map4K(ulong linear, ulong physical, ulong flags = Present | Writable, ulong tableFlags = AllTableRights)
    {
        ulong pt = Descend(Descend(Descend(Pml4, linear, 39, tableFlags), linear, 30, tableFlags), linear, 21, tableFlags);
        _memory.WriteUInt64(pt + Index(linear, 12) * 8, physical | flags);
        return this;
    }

    public PageTableBuilder Map2M(ulong linear, ulong physical, ulong flags = Present | Writable, ulong tableFlags = AllTableRights)
    {
        ulong pd = Descend(Descend(Pml4, linear, 39, tableFlags), linear, 30, tableFlags);
        _memory.WriteUInt64(pd + Index(linear, 21) * 8, physical | flags | LargePage);
        return this;
    }

    public PageTableBuilder Map1G(ulong linear, ulong physical, ulong flags = Present | Writable, ulong tableFlags = AllTableRights)
    {
        ulong pdpt = Descend(Pml4, linear, 39, tableFlags);
        _memory.WriteUInt64(pdpt + Index(linear, 30) * 8, physical | flags | LargePage);
        return this;
    }

    /// <summary>Points the entry that maps <paramref name="linear"/> at <paramref name="level"/> (4 = PML4) at an arbitrary table address.</summary>
    public PageTableBuilder LinkTable(ulong linear, int level, ulong tableAddress, ulong flags = AllTableRights)
    {
        ulong table = Pml4;
        for (int current = 4; current > level; current--)
        {
            table = Descend(table, linear, 12 + 9 * (current - 1), AllTableRights);
        }
        _memory.WriteUInt64(table + Index(linear, 12 + 9 * (level - 1)) * 8, tableAddress | flags);
        return this;
    }

    private ulong Descend(ulong table, ulong linear, int shift, ulong tableFlags)
    {
        ulong entryAddress = table + Index(linear, shift) * 8;
        ulong entry = _memory.ReadUInt64(entryAddress);
        if ((entry & Present) != 0)
        {
            return entry & AddressMask;
        }
        ulong next = NewTable();
        _memory.WriteUInt64(entryAddress, next | tableFlags);
        return next;
    }

    private ulong NewTable()
    {
        ulong table = _nextTable;
        _nextTable += 0x1000;
        _memory.Clear(table, 0x1000);
        return table;
    }

    private static ulong Index(ulong linear, int shift) => (linear >> shift) & 511;
}

/// <summary>vCPU state in 64-bit long mode, as a Linux kernel runs, for the emulator.</summary>
internal static class GuestCpu
{
    public const ulong Cr0 = 0x8005_0033; // PE MP ET NE WP AM PG
    public const ulong Cr4 = 0x0000_0620; // PAE OSFXSR OSXMMEXCPT
    public const ulong Efer = 0x0000_0D01; // SCE LME LMA NXE

    public static KvmSregs LongModeSregs(ulong cr3)
    {
        var sregs = new KvmSregs
        {
            Cr0 = Cr0,
            Cr3 = cr3,
            Cr4 = Cr4,
            Efer = Efer,
            Cs = new KvmSegment { Selector = 0x10, Type = 0xB, Present = 1, S = 1, L = 1, G = 1, Limit = 0xFFFF_FFFF },
            Ds = new KvmSegment { Selector = 0x18, Type = 0x3, Present = 1, S = 1, Db = 1, G = 1, Limit = 0xFFFF_FFFF },
        };
        sregs.Es = sregs.Ss = sregs.Fs = sregs.Gs = sregs.Ds;
        return sregs;
    }

    /// <summary>Assembles one instruction at <paramref name="rip"/> with Iced and decodes it back, as the exit handler does.</summary>
    public static Instruction Decode(Action<Assembler> emit, ulong rip)
    {
        var assembler = new Assembler(64);
        emit(assembler);
        var code = new MemoryStream();
        assembler.Assemble(new StreamCodeWriter(code), rip);
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(code.ToArray()), rip);
        decoder.Decode(out var instruction);
        if (instruction.IsInvalid || instruction.Length != code.Length)
        {
            throw new InvalidOperationException($"assembled bytes {Convert.ToHexString(code.ToArray())} do not decode as one instruction");
        }
        return instruction;
    }
}

/// <summary>The vCPU's XSAVE image as a plain 4 KiB array, with the XCR0 the test chooses.</summary>
internal sealed class FakeExtendedState(ulong xcr0 = 0x3) : IExtendedState
{
    public byte[] Image { get; } = new byte[4096];

    public ulong Xcr0 { get; set; } = xcr0;

    public int Writes { get; private set; }

    public void ReadXsaveImage(Span<byte> image) => Image.AsSpan(0, image.Length).CopyTo(image);

    public void WriteXsaveImage(ReadOnlySpan<byte> image)
    {
        image.CopyTo(Image);
        Writes++;
    }
}
