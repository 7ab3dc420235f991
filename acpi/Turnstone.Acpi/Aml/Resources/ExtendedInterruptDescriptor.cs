namespace Turnstone.Acpi.Aml.Resources;

/// <summary>
/// ASL Interrupt(): the Extended Interrupt Descriptor (large item 0x89) naming GSIs beyond the
/// ISA range. Flags: bit 0 consumer, bit 1 edge, bit 2 active-low, bit 3 shared, bit 4 wake
/// capable; then a count byte and one DWord per interrupt. No resource source is emitted.
/// </summary>
public sealed record ExtendedInterruptDescriptor : IResourceDescriptor
{
    public ExtendedInterruptDescriptor(InterruptTrigger trigger, InterruptPolarity polarity, bool shared, params IReadOnlyList<uint> interrupts)
    {
        ArgumentNullException.ThrowIfNull(interrupts);
        if (interrupts.Count is 0 or > byte.MaxValue)
        {
            throw new ArgumentException($"an extended interrupt descriptor lists 1 to {byte.MaxValue} interrupts", nameof(interrupts));
        }
        Trigger = trigger;
        Polarity = polarity;
        Shared = shared;
        Interrupts = interrupts.ToArray();
    }

    public InterruptTrigger Trigger { get; }

    public InterruptPolarity Polarity { get; }

    public bool Shared { get; }

    public IReadOnlyList<uint> Interrupts { get; }

    public void WriteTo(AmlWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteByte(0x89);
        writer.WriteUInt16((ushort)(2 + 4 * Interrupts.Count));
        int flags = 0x01 // this device consumes the interrupt
            | (Trigger == InterruptTrigger.Edge ? 0x02 : 0)
            | (Polarity == InterruptPolarity.ActiveLow ? 0x04 : 0)
            | (Shared ? 0x08 : 0);
        writer.WriteByte((byte)flags);
        writer.WriteByte((byte)Interrupts.Count);
        foreach (uint interrupt in Interrupts)
        {
            writer.WriteUInt32(interrupt);
        }
    }

    public bool Equals(ExtendedInterruptDescriptor? other) =>
        other is not null && Trigger == other.Trigger && Polarity == other.Polarity && Shared == other.Shared && Interrupts.SequenceEqual(other.Interrupts);

    public override int GetHashCode() => HashCode.Combine(Trigger, Polarity, Shared, Interrupts.Count);
}
