namespace Turnstone.Cpu;

/// <summary>
/// A segment register: the visible selector and the hidden descriptor cache the CPU loaded with
/// it. <see cref="Attributes"/> uses the VMX access-rights layout: bits 0-3 type, 4 S (code or
/// data), 5-6 DPL, 7 present, 12 AVL, 13 L (64-bit code), 14 D/B, 15 G.
/// </summary>
public readonly record struct SegmentRegister(ushort Selector, ulong Base, uint Limit, ushort Attributes)
{
    public int Type => Attributes & 0xF;
    public bool IsCodeOrData => (Attributes & 0x10) != 0;
    public int Dpl => (Attributes >> 5) & 3;
    public bool Present => (Attributes & 0x80) != 0;
    public bool Long => (Attributes & 0x2000) != 0;
    public bool DefaultBig => (Attributes & 0x4000) != 0;
    public bool IsCode => IsCodeOrData && (Attributes & 0x8) != 0;

    /// <summary>A flat 64-bit code segment at the given privilege level.</summary>
    public static SegmentRegister FlatCode64(ushort selector, int dpl) =>
        new(selector, 0, 0xFFFF_FFFF, (ushort)(0xA09B | (dpl << 5)));

    /// <summary>A flat writable data segment at the given privilege level.</summary>
    public static SegmentRegister FlatData(ushort selector, int dpl) =>
        new(selector, 0, 0xFFFF_FFFF, (ushort)(0xC093 | (dpl << 5)));

    /// <summary>Decodes the hidden part from the two descriptor halves as they sit in a GDT or LDT
    /// (a system descriptor's upper 32 base bits come from the second quadword).</summary>
    public static SegmentRegister FromDescriptor(ushort selector, ulong low, ulong high)
    {
        ulong baseAddress = ((low >> 16) & 0xFF_FFFF) | (((low >> 56) & 0xFF) << 24);
        uint limit = (uint)((low & 0xFFFF) | (((low >> 48) & 0xF) << 16));
        ushort attributes = (ushort)(((low >> 40) & 0xFF) | (((low >> 52) & 0xF) << 12));
        if ((attributes & 0x8000) != 0)
        {
            limit = (limit << 12) | 0xFFF;
        }
        if ((attributes & 0x10) == 0)
        {
            baseAddress |= (high & 0xFFFF_FFFF) << 32;
        }
        return new SegmentRegister(selector, baseAddress, limit, attributes);
    }
}
