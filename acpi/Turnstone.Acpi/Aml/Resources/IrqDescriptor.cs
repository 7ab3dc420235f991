namespace Turnstone.Acpi.Aml.Resources;

/// <summary>
/// ASL IRQNoFlags() and IRQ(): the small IRQ Descriptor, a 16-bit mask of ISA IRQs. Without
/// flags (tag 0x22) the IRQ is edge-triggered, active-high, exclusive; with flags (tag 0x23) a
/// third byte says otherwise (bit 0 edge, bit 3 active-low, bit 4 shared, bit 5 wake capable).
/// </summary>
public sealed record IrqDescriptor : IResourceDescriptor
{
    private IrqDescriptor(ushort mask, byte? flags)
    {
        Mask = mask;
        Flags = flags;
    }

    public ushort Mask { get; }

    /// <summary>The information byte, or null for the two-byte IRQNoFlags form.</summary>
    public byte? Flags { get; }

    public static IrqDescriptor NoFlags(params IReadOnlyList<int> irqs) => new(MaskOf(irqs), null);

    public static IrqDescriptor WithFlags(InterruptTrigger trigger, InterruptPolarity polarity, bool shared, params IReadOnlyList<int> irqs)
    {
        int flags = (trigger == InterruptTrigger.Edge ? 0x01 : 0) | (polarity == InterruptPolarity.ActiveLow ? 0x08 : 0) | (shared ? 0x10 : 0);
        return new(MaskOf(irqs), (byte)flags);
    }

    public void WriteTo(AmlWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteByte(Flags is null ? (byte)0x22 : (byte)0x23);
        writer.WriteUInt16(Mask);
        if (Flags is { } flags)
        {
            writer.WriteByte(flags);
        }
    }

    private static ushort MaskOf(IReadOnlyList<int> irqs)
    {
        ArgumentNullException.ThrowIfNull(irqs);
        int mask = 0;
        foreach (int irq in irqs)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(irq);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(irq, 15);
            mask |= 1 << irq;
        }
        return (ushort)mask;
    }
}
