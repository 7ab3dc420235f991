namespace Turnstone.Engine;

/// <summary>
/// A segment register with its hidden part. <see cref="Attributes"/> packs the descriptor's access
/// byte in bits 0-7 (type, S, DPL, P) and its flags in bits 12-15 (AVL, L, D/B, G), as VMX does.
/// </summary>
public readonly record struct SegmentState(ushort Selector, ulong Base, uint Limit, ushort Attributes, bool Unusable = false)
{
    public int Type => Attributes & 0xF;
    public bool CodeOrData => (Attributes & 0x10) != 0;
    public int Dpl => (Attributes >> 5) & 3;
    public bool Present => (Attributes & 0x80) != 0;
    public bool Available => (Attributes & 0x1000) != 0;
    public bool Long => (Attributes & 0x2000) != 0;
    public bool DefaultBig => (Attributes & 0x4000) != 0;
    public bool Granular => (Attributes & 0x8000) != 0;

    /// <summary>A segment register that holds no usable segment (a null LDT).</summary>
    public static SegmentState UnusableSegment { get; } = new(0, 0, 0, 0, Unusable: true);
}
