using Turnstone.Acpi.Aml;
using Turnstone.Acpi.Aml.Resources;

namespace Turnstone.UnitTests.Acpi;

/// <summary>Resource descriptors (ACPI 6.3, 6.4) against hand-worked bytes.</summary>
public sealed class ResourceDescriptorTests
{
    private static byte[] Bytes(IResourceDescriptor descriptor)
    {
        var writer = new AmlWriter();
        descriptor.WriteTo(writer);
        return writer.ToArray();
    }

    [Fact]
    public void A_small_template_is_a_buffer_ending_in_an_end_tag()
    {
        // ResourceTemplate () { IO (Decode16, 0x3F8, 0x3F8, 1, 8) IRQNoFlags () {4} }
        var template = new ResourceTemplate(IoPortDescriptor.Fixed(0x3F8, 8), IrqDescriptor.NoFlags(4));
        Assert.Equal(new byte[]
        {
            0x11, 0x10, 0x0A, 0x0D, // BufferOp, PkgLength 16, size 13
            0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x01, 0x08,
            0x22, 0x10, 0x00,
            0x79, 0x00,
        }, template.ToAml());
    }

    [Fact]
    public void An_empty_template_is_only_the_end_tag() =>
        Assert.Equal(new byte[] { 0x11, 0x05, 0x0A, 0x02, 0x79, 0x00 }, new ResourceTemplate().ToAml());

    [Fact]
    public void Word_bus_number() =>
        // type 2, general flags MinFixed|MaxFixed (0x0C), then granularity, min, max, translation, length
        Assert.Equal(new byte[] { 0x88, 0x0D, 0x00, 0x02, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x01 },
            Bytes(AddressSpaceDescriptor.WordBusNumber(0, 0xFF)));

    [Fact]
    public void Word_io_entire_range() =>
        // type 1, type-specific _RNG = EntireRange (3)
        Assert.Equal(new byte[] { 0x88, 0x0D, 0x00, 0x01, 0x0C, 0x03, 0x00, 0x00, 0x00, 0x0D, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0xF3 },
            Bytes(AddressSpaceDescriptor.WordIo(0x0D00, 0xFFFF)));

    [Fact]
    public void DWord_memory_window() =>
        // type 0, type-specific ReadWrite (bit 0), NonCacheable
        Assert.Equal(new byte[]
        {
            0x87, 0x17, 0x00, 0x00, 0x0C, 0x01,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0xFF, 0xFF, 0xBF, 0xFE, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x3E,
        }, Bytes(AddressSpaceDescriptor.DWordMemory(0xC000_0000, 0xFEBF_FFFF)));

    [Fact]
    public void QWord_memory_consumer_prefetchable()
    {
        byte[] bytes = Bytes(AddressSpaceDescriptor.QWordMemory(0x1_0000_0000, 0x1_0FFF_FFFF, MemoryCaching.Prefetchable, producer: false));
        // general flags: consumer (bit 0) | MinFixed | MaxFixed; type-specific: ReadWrite | Prefetchable << 1
        Assert.Equal(new byte[] { 0x8A, 0x2B, 0x00, 0x00, 0x0D, 0x07 }, bytes[..6]);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0 }, bytes[6..14]); // granularity
        Assert.Equal(new byte[] { 0, 0, 0, 0, 1, 0, 0, 0 }, bytes[14..22]); // minimum
        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0x0F, 1, 0, 0, 0 }, bytes[22..30]); // maximum
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0 }, bytes[30..38]); // translation
        Assert.Equal(new byte[] { 0, 0, 0, 0x10, 0, 0, 0, 0 }, bytes[38..46]); // length
        Assert.Equal(46, bytes.Length);
    }

    [Fact]
    public void Memory32_fixed() =>
        Assert.Equal(new byte[] { 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xB0, 0x00, 0x00, 0x00, 0x10 },
            Bytes(new Memory32FixedDescriptor(0xB000_0000, 0x1000_0000)));

    [Fact]
    public void Irq_with_flags()
    {
        // IRQ (Level, ActiveLow, Shared) {5, 10}: mask 0x0420, flags 0x08 | 0x10
        Assert.Equal(new byte[] { 0x23, 0x20, 0x04, 0x18 },
            Bytes(IrqDescriptor.WithFlags(InterruptTrigger.Level, InterruptPolarity.ActiveLow, shared: true, 5, 10)));
        // IRQ (Edge, ActiveHigh, Exclusive) {1}
        Assert.Equal(new byte[] { 0x23, 0x02, 0x00, 0x01 },
            Bytes(IrqDescriptor.WithFlags(InterruptTrigger.Edge, InterruptPolarity.ActiveHigh, shared: false, 1)));
    }

    [Fact]
    public void Irq_numbers_are_isa_only() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => IrqDescriptor.NoFlags(16));

    [Fact]
    public void Extended_interrupts()
    {
        // Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) {16}
        Assert.Equal(new byte[] { 0x89, 0x06, 0x00, 0x01, 0x01, 0x10, 0x00, 0x00, 0x00 },
            Bytes(new ExtendedInterruptDescriptor(InterruptTrigger.Level, InterruptPolarity.ActiveHigh, shared: false, 16)));
        // Interrupt (ResourceConsumer, Edge, ActiveLow, Shared) {17, 0x12345678}
        Assert.Equal(new byte[] { 0x89, 0x0A, 0x00, 0x0F, 0x02, 0x11, 0x00, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12 },
            Bytes(new ExtendedInterruptDescriptor(InterruptTrigger.Edge, InterruptPolarity.ActiveLow, shared: true, 17, 0x1234_5678)));
    }

    [Fact]
    public void Ranges_that_do_not_fit_their_descriptor_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AddressSpaceDescriptor.WordIo(0x0000, 0xFFFF)); // length 0x10000 needs 17 bits
        Assert.Throws<ArgumentOutOfRangeException>(() => AddressSpaceDescriptor.WordBusNumber(0x20, 0x10));
        Assert.Throws<ArgumentOutOfRangeException>(() => AddressSpaceDescriptor.QWordMemory(0, ulong.MaxValue));
        Assert.Throws<ArgumentException>(() => new ExtendedInterruptDescriptor(InterruptTrigger.Edge, InterruptPolarity.ActiveHigh, false));
    }
}
