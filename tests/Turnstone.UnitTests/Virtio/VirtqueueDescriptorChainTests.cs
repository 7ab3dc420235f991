using Turnstone.Devices.Virtio;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Virtio;

public sealed class VirtqueueDescriptorChainTests
{
    private const ushort Next = VirtqueueDescriptorChain.FlagNext;
    private const ushort Write = VirtqueueDescriptorChain.FlagWrite;
    private const ushort Indirect = VirtqueueDescriptorChain.FlagIndirect;

    private static VirtqueueError? ErrorOfHead(FakeVirtioDriver driver, ushort head)
    {
        driver.Publish(head);
        var chain = driver.PopSingle();
        Assert.Equal(head, chain.HeadIndex);
        if (!chain.IsValid)
        {
            Assert.Empty(chain.Segments);
        }
        return chain.Error;
    }

    [Fact]
    public void A_head_index_at_or_above_the_queue_size_is_out_of_range()
    {
        var driver = new FakeVirtioDriver(size: 16);

        Assert.Equal(VirtqueueError.DescriptorOutOfRange, ErrorOfHead(driver, 16));
        Assert.Equal(VirtqueueError.DescriptorOutOfRange, ErrorOfHead(driver, 0xFFFF));
    }

    [Fact]
    public void A_next_index_at_or_above_the_queue_size_is_out_of_range()
    {
        var driver = new FakeVirtioDriver(size: 16);
        driver.WriteDescriptor(0, driver.Allocate(16), 16, Next, next: 16);

        Assert.Equal(VirtqueueError.DescriptorOutOfRange, ErrorOfHead(driver, 0));
    }

    [Theory]
    [InlineData(0x40_0000ul, 1u)]                 // first byte past the end of 4 MiB of RAM
    [InlineData(0x3F_FFF0ul, 0x20u)]              // starts inside, ends outside
    [InlineData(0xFFFF_FFFF_FFFF_FFF0ul, 0x20u)]  // address + length wraps past 2^64
    [InlineData(0xFFFF_FFFF_FFFF_FFFFul, 0xFFFF_FFFFu)]
    public void A_buffer_outside_guest_memory_is_rejected(ulong address, uint length)
    {
        var driver = new FakeVirtioDriver();
        driver.WriteDescriptor(0, driver.Allocate(16), 16, Next, next: 1);
        driver.WriteDescriptor(1, address, length, Write);

        Assert.Equal(VirtqueueError.AddressOutOfRange, ErrorOfHead(driver, 0));
    }

    [Fact]
    public void A_buffer_that_crosses_from_one_ram_region_into_the_next_is_rejected()
    {
        // Two adjacent regions: each byte is RAM, but no single span covers the buffer.
        var memory = new ArrayGuestMemory(new GuestMemoryRegion(0, 0x10_0000), new GuestMemoryRegion(0x10_0000, 0x10_0000));
        var driver = new FakeVirtioDriver(memory: memory);
        driver.WriteDescriptor(0, 0x10_0000 - 8, 16, Write);

        Assert.Equal(VirtqueueError.AddressOutOfRange, ErrorOfHead(driver, 0));
    }

    [Fact]
    public void A_descriptor_pointing_back_at_itself_is_a_loop()
    {
        var driver = new FakeVirtioDriver();
        driver.WriteDescriptor(3, driver.Allocate(16), 16, Next, next: 3);

        Assert.Equal(VirtqueueError.ChainTooLong, ErrorOfHead(driver, 3));
    }

    [Fact]
    public void A_chain_whose_next_points_back_to_its_head_is_a_loop()
    {
        var driver = new FakeVirtioDriver();
        ulong buffer = driver.Allocate(16);
        driver.WriteDescriptor(0, buffer, 16, Next, next: 1);
        driver.WriteDescriptor(1, buffer, 16, Next, next: 2);
        driver.WriteDescriptor(2, buffer, 16, Next, next: 0);

        Assert.Equal(VirtqueueError.ChainTooLong, ErrorOfHead(driver, 0));
    }

    [Fact]
    public void A_chain_using_every_descriptor_once_is_accepted_and_one_more_is_too_long()
    {
        var driver = new FakeVirtioDriver(size: 8);
        ulong buffer = driver.Allocate(16);
        for (ushort i = 0; i < 8; i++)
        {
            driver.WriteDescriptor(i, buffer, 16, i < 7 ? Next : (ushort)0, next: (ushort)(i + 1));
        }
        driver.Publish(0);
        var chain = driver.PopSingle();
        Assert.True(chain.IsValid);
        Assert.Equal(8, chain.Segments.Count);

        // Now the last one continues to descriptor 0 again: nine steps in an eight-entry table.
        driver.WriteDescriptor(7, buffer, 16, Next, next: 0);
        Assert.Equal(VirtqueueError.ChainTooLong, ErrorOfHead(driver, 0));
    }

    [Fact]
    public void A_readable_descriptor_after_a_writable_one_is_rejected()
    {
        var driver = new FakeVirtioDriver();
        driver.AddChain(DriverBuffer.Readable(driver.Allocate(16), 16), DriverBuffer.Writable(driver.Allocate(8), 8),
            DriverBuffer.Readable(driver.Allocate(8), 8));

        var chain = driver.PopSingle();

        Assert.Equal(VirtqueueError.WritableBeforeReadable, chain.Error);
    }

    [Fact]
    public void A_zero_length_writable_descriptor_still_counts_for_the_ordering_rule()
    {
        var driver = new FakeVirtioDriver();
        driver.AddChain(DriverBuffer.Writable(driver.Allocate(8), 0), DriverBuffer.Readable(driver.Allocate(8), 8));

        Assert.Equal(VirtqueueError.WritableBeforeReadable, driver.PopSingle().Error);
    }

    [Fact]
    public void Chains_totalling_more_than_four_GiB_are_too_large_and_exactly_four_GiB_is_accepted()
    {
        var memory = new HugeSparseGuestMemory();
        var driver = new FakeVirtioDriver(memory: memory);
        const uint twoGiB = 1u << 31;
        driver.AddChain(DriverBuffer.Readable(1ul << 32, twoGiB), DriverBuffer.Writable(2ul << 32, twoGiB));
        var exact = driver.PopSingle();
        Assert.True(exact.IsValid);
        Assert.Equal(1ul << 32, exact.ReadableLength + exact.WritableLength);

        driver.AddChain(DriverBuffer.Readable(1ul << 32, twoGiB), DriverBuffer.Writable(2ul << 32, twoGiB),
            DriverBuffer.Writable(3ul << 32, 1));
        Assert.Equal(VirtqueueError.ChainTooLarge, driver.PopSingle().Error);
    }

    [Fact]
    public void An_indirect_table_is_followed_when_negotiated()
    {
        var driver = new FakeVirtioDriver(indirect: true);
        ulong header = driver.Allocate(16), data = driver.Allocate(4096), status = driver.Allocate(1);
        ushort head = driver.AddIndirectChain(DriverBuffer.Readable(header, 16), DriverBuffer.Writable(data, 4096), DriverBuffer.Writable(status, 1));

        var chain = driver.PopSingle();

        Assert.True(chain.IsValid, chain.Error?.ToString());
        Assert.Equal(head, chain.HeadIndex);
        Assert.Equal(
            [new VirtqueueSegment(header, 16, false), new VirtqueueSegment(data, 4096, true), new VirtqueueSegment(status, 1, true)],
            chain.Segments);
    }

    [Fact]
    public void Direct_descriptors_followed_by_an_indirect_one_are_accepted_and_its_write_flag_ignored()
    {
        var driver = new FakeVirtioDriver(indirect: true);
        ulong header = driver.Allocate(16), data = driver.Allocate(512);
        ulong table = driver.WriteIndirectTable(DriverBuffer.Writable(data, 512));
        driver.WriteDescriptor(0, header, 16, Next, next: 1);
        driver.WriteDescriptor(1, table, 16, Indirect | Write);
        driver.Publish(0);

        var chain = driver.PopSingle();

        Assert.True(chain.IsValid, chain.Error?.ToString());
        Assert.Equal([new VirtqueueSegment(header, 16, false), new VirtqueueSegment(data, 512, true)], chain.Segments);
    }

    [Fact]
    public void An_indirect_descriptor_is_refused_when_the_feature_was_not_negotiated()
    {
        var driver = new FakeVirtioDriver(indirect: false);
        driver.AddIndirectChain(DriverBuffer.Writable(driver.Allocate(8), 8));

        Assert.Equal(VirtqueueError.BadIndirect, driver.PopSingle().Error);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(8u)]
    [InlineData(24u)]
    [InlineData(17u)]
    [InlineData(65537u * 16)] // more entries than a 16-bit next can index
    public void An_indirect_table_length_that_is_not_a_whole_number_of_descriptors_is_refused(uint length)
    {
        var driver = new FakeVirtioDriver(indirect: true);
        ulong table = driver.WriteIndirectTable(DriverBuffer.Writable(driver.Allocate(8), 8), DriverBuffer.Writable(driver.Allocate(8), 8));
        driver.WriteDescriptor(0, table, length, Indirect);

        Assert.Equal(VirtqueueError.BadIndirect, ErrorOfHead(driver, 0));
    }

    [Fact]
    public void A_nested_indirect_descriptor_is_refused()
    {
        var driver = new FakeVirtioDriver(indirect: true);
        ulong inner = driver.WriteIndirectTable(DriverBuffer.Writable(driver.Allocate(8), 8));
        ulong outer = driver.Allocate(16);
        FakeVirtioDriver.WriteDescriptor(driver.Memory, outer, 0, inner, 16, Indirect, 0);
        driver.WriteDescriptor(0, outer, 16, Indirect);

        Assert.Equal(VirtqueueError.BadIndirect, ErrorOfHead(driver, 0));
    }

    [Fact]
    public void An_indirect_descriptor_that_also_has_next_is_refused()
    {
        var driver = new FakeVirtioDriver(indirect: true);
        ulong table = driver.WriteIndirectTable(DriverBuffer.Writable(driver.Allocate(8), 8));
        driver.WriteDescriptor(0, table, 16, Indirect | Next, next: 1);
        driver.WriteDescriptor(1, driver.Allocate(8), 8, Write);

        Assert.Equal(VirtqueueError.BadIndirect, ErrorOfHead(driver, 0));
    }

    [Theory]
    [InlineData(0x40_0000ul)]
    [InlineData(0x3F_FFF0ul)]            // 16 bytes fit, the second descriptor does not
    [InlineData(0xFFFF_FFFF_FFFF_FFF0ul)]
    public void An_indirect_table_outside_guest_memory_is_refused(ulong tableAddress)
    {
        var driver = new FakeVirtioDriver(indirect: true);
        driver.WriteDescriptor(0, tableAddress, 32, Indirect);

        Assert.Equal(VirtqueueError.BadIndirect, ErrorOfHead(driver, 0));
    }

    [Fact]
    public void A_next_index_beyond_the_indirect_table_is_out_of_range()
    {
        var driver = new FakeVirtioDriver(indirect: true);
        ulong table = driver.Allocate(32);
        FakeVirtioDriver.WriteDescriptor(driver.Memory, table, 0, driver.Allocate(8), 8, Next, 2); // table has entries 0 and 1
        FakeVirtioDriver.WriteDescriptor(driver.Memory, table, 1, driver.Allocate(8), 8, Write, 0);
        driver.WriteDescriptor(0, table, 32, Indirect);

        Assert.Equal(VirtqueueError.DescriptorOutOfRange, ErrorOfHead(driver, 0));
    }

    [Fact]
    public void A_loop_inside_an_indirect_table_is_too_long()
    {
        var driver = new FakeVirtioDriver(indirect: true);
        ulong table = driver.Allocate(32);
        ulong buffer = driver.Allocate(8);
        FakeVirtioDriver.WriteDescriptor(driver.Memory, table, 0, buffer, 8, Next, 1);
        FakeVirtioDriver.WriteDescriptor(driver.Memory, table, 1, buffer, 8, Next, 0);
        driver.WriteDescriptor(0, table, 32, Indirect);

        Assert.Equal(VirtqueueError.ChainTooLong, ErrorOfHead(driver, 0));
    }

    [Fact]
    public void A_readable_descriptor_in_the_indirect_table_after_a_direct_writable_one_is_rejected()
    {
        var driver = new FakeVirtioDriver(indirect: true);
        ulong table = driver.WriteIndirectTable(DriverBuffer.Readable(driver.Allocate(8), 8));
        driver.WriteDescriptor(0, driver.Allocate(8), 8, Write | Next, next: 1);
        driver.WriteDescriptor(1, table, 16, Indirect);

        Assert.Equal(VirtqueueError.WritableBeforeReadable, ErrorOfHead(driver, 0));
    }

    [Fact]
    public void The_chain_is_a_snapshot_the_driver_cannot_change_after_the_pop()
    {
        var driver = new FakeVirtioDriver();
        ulong buffer = driver.Allocate(64);
        driver.AddChain(DriverBuffer.Writable(buffer, 64));
        var chain = driver.PopSingle();

        driver.WriteDescriptor(0, 0xFFFF_0000, 0x1000_0000, Write);

        Assert.Equal([new VirtqueueSegment(buffer, 64, true)], chain.Segments);
    }

    [Fact]
    public void Copy_helpers_cross_segment_boundaries_and_stop_at_the_end()
    {
        var driver = new FakeVirtioDriver();
        ulong r1 = driver.AllocateWith([1, 2, 3]), r2 = driver.AllocateWith([4, 5, 6, 7, 8]);
        ulong w1 = driver.Allocate(2), w2 = driver.Allocate(4);
        driver.AddChain(DriverBuffer.Readable(r1, 3), DriverBuffer.Readable(r2, 5), DriverBuffer.Writable(w1, 2), DriverBuffer.Writable(w2, 4));
        var chain = driver.PopSingle();

        var read = new byte[4];
        Assert.Equal(4, chain.CopyFromReadable(2, read));
        Assert.Equal(new byte[] { 3, 4, 5, 6 }, read);
        Assert.Equal(2, chain.CopyFromReadable(6, read));
        Assert.Equal(0, chain.CopyFromReadable(8, read));

        Assert.Equal(3, chain.CopyToWritable(1, [0xA1, 0xA2, 0xA3]));
        Assert.Equal(0xA1, driver.Memory.ReadByte(w1 + 1));
        Assert.Equal(0xA2, driver.Memory.ReadByte(w2));
        Assert.Equal(0xA3, driver.Memory.ReadByte(w2 + 1));
        Assert.Equal(2, chain.CopyToWritable(4, [0xB1, 0xB2, 0xB3]));
        Assert.Equal(0xB2, driver.Memory.ReadByte(w2 + 3));
        // The device never wrote into the readable buffers.
        Assert.Equal(new byte[] { 1, 2, 3 }, driver.Memory.GetSpan(r1, 3).ToArray());
    }

    [Fact]
    public void Range_enumeration_yields_guest_ranges_for_scatter_gather()
    {
        var driver = new FakeVirtioDriver();
        ulong w1 = driver.Allocate(100), w2 = driver.Allocate(50), w3 = driver.Allocate(1);
        driver.AddChain(DriverBuffer.Readable(driver.Allocate(16), 16), DriverBuffer.Writable(w1, 100),
            DriverBuffer.Writable(w2, 50), DriverBuffer.Writable(w3, 1));
        var chain = driver.PopSingle();

        var ranges = new List<VirtqueueSegment>();
        foreach (var range in chain.EnumerateWritable(90, 60))
        {
            ranges.Add(range);
        }

        Assert.Equal([new VirtqueueSegment(w1 + 90, 10, true), new VirtqueueSegment(w2, 50, true)], ranges);
    }

    /// <summary>
    /// Random bytes as a descriptor table: each head descriptor names a random 64-bit address, which
    /// is never inside these 64 KiB of RAM, so the walk ends at the head with the error its flags
    /// call for: a bad indirect table when INDIRECT is set (checked first: it changes what the
    /// address means), else an address out of range. Never an exception, never a valid chain.
    /// </summary>
    [Fact]
    public void Garbage_in_the_descriptor_table_fails_at_the_head_with_the_error_its_flags_call_for()
    {
        const ulong Table = 0x1000;
        var memory = new ArrayGuestMemory(1 << 16);
        new Random(7).NextBytes(memory.GetSpan(0, 1 << 16));
        var seen = new HashSet<VirtqueueError>();

        for (ushort head = 0; head < 1024; head++)
        {
            ulong descriptor = Table + head * 16ul;
            ulong address = memory.ReadUInt64(descriptor);
            uint length = memory.ReadUInt32(descriptor + 8);
            ushort flags = memory.ReadUInt16(descriptor + 12);
            Assert.False(memory.TryGetSpan(address, 0, out _), $"seed 7 put descriptor {head}'s buffer inside RAM: pick another seed");
            var expected = (flags & VirtqueueDescriptorChain.FlagIndirect) != 0 ? VirtqueueError.BadIndirect : VirtqueueError.AddressOutOfRange;

            var chain = VirtqueueDescriptorChain.Walk(memory, Table, 1024, head, indirectDescriptorsEnabled: true);

            Assert.True(chain.Error == expected, $"head {head} (address 0x{address:x}, length {length}, flags 0x{flags:x}): {chain.Error}, expected {expected}");
            Assert.Empty(chain.Segments);
            seen.Add(expected);
        }
        Assert.Equal([VirtqueueError.AddressOutOfRange, VirtqueueError.BadIndirect], seen.Order());
    }

    /// <summary>
    /// Garbage that walks further: buffers inside RAM, random lengths and flags, <c>next</c> fields
    /// that often point past the table. Each chain's fate is worked out by the rules of the split
    /// virtqueue (2.7.5 and 2.7.5.3 of virtio 1.2) written out plainly below, in the order the device
    /// checks them, and the device must reach the same verdict for every head.
    /// </summary>
    [Fact]
    public void Garbage_chains_end_as_the_spec_rules_say()
    {
        const ulong Table = 0x1000;
        const ushort QueueSize = 256;
        const ulong RamSize = 1 << 16;
        var memory = new ArrayGuestMemory(RamSize);
        var random = new Random(11);
        for (int i = 0; i < QueueSize; i++)
        {
            ulong address = (ulong)random.Next(0x8000, 0x10000);
            uint length = (uint)random.Next(0, 0x2000);
            // NEXT three times in four, so chains run on; WRITE and INDIRECT each one time in four.
            int draw = random.Next(0, 64);
            ushort flags = (ushort)(((draw & 3) != 0 ? Next : 0) | ((draw >> 2 & 3) == 0 ? Write : 0) | ((draw >> 4 & 3) == 0 ? Indirect : 0));
            ushort next = (ushort)random.Next(0, QueueSize + 16);
            FakeVirtioDriver.WriteDescriptor(memory, Table, i, address, length, flags, next);
        }
        // And a loop of readable buffers at the end of the table: 252 -> 253 -> 254 -> 252.
        for (int i = 252; i < 255; i++)
        {
            FakeVirtioDriver.WriteDescriptor(memory, Table, i, 0x8000, 16, Next, (ushort)(i == 254 ? 252 : i + 1));
        }
        var outcomes = new Dictionary<string, int>();

        for (ushort head = 0; head < QueueSize; head++)
        {
            var expected = ExpectedOutcome(memory, RamSize, Table, QueueSize, head);

            var chain = VirtqueueDescriptorChain.Walk(memory, Table, QueueSize, head, indirectDescriptorsEnabled: true);

            Assert.True(expected == chain.Error, $"head {head}: {chain.Error?.ToString() ?? "valid"}, expected {expected?.ToString() ?? "valid"}");
            string key = expected?.ToString() ?? "valid";
            outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
        }
        // The garbage reaches every rule a table can break with these lengths (they never add up to the
        // 4 GiB of ChainTooLarge), and some chains survive it.
        Assert.Equal(["AddressOutOfRange", "BadIndirect", "ChainTooLong", "DescriptorOutOfRange", "WritableBeforeReadable", "valid"],
            outcomes.Keys.Order(StringComparer.Ordinal));
    }

    /// <summary>The verdict for the chain at <paramref name="head"/>: null when valid. One RAM region from 0.</summary>
    private static VirtqueueError? ExpectedOutcome(IGuestMemory memory, ulong ramSize, ulong table, int entries, int head)
    {
        bool inIndirect = false, sawWritable = false;
        int index = head, visited = 0;
        while (true)
        {
            if (index >= entries)
            {
                return VirtqueueError.DescriptorOutOfRange; // a head or next past the table
            }
            if (++visited > entries)
            {
                return VirtqueueError.ChainTooLong; // more descriptors than the table holds: a loop
            }
            ulong descriptor = table + (ulong)index * 16;
            ulong address = memory.ReadUInt64(descriptor);
            uint length = memory.ReadUInt32(descriptor + 8);
            ushort flags = memory.ReadUInt16(descriptor + 12);
            bool hasNext = (flags & 1) != 0, writable = (flags & 2) != 0, indirect = (flags & 4) != 0;
            if (indirect)
            {
                // One level only, never with NEXT, a whole number of 16-byte entries, inside RAM.
                if (inIndirect || hasNext || length == 0 || length % 16 != 0 || address + length > ramSize)
                {
                    return VirtqueueError.BadIndirect;
                }
                (table, entries, index, visited, inIndirect) = (address, (int)(length / 16), 0, 0, true);
                continue;
            }
            if (sawWritable && !writable)
            {
                return VirtqueueError.WritableBeforeReadable; // device-readable buffers come first
            }
            if (address + length > ramSize)
            {
                return VirtqueueError.AddressOutOfRange;
            }
            sawWritable |= writable;
            if (!hasNext)
            {
                return null;
            }
            index = memory.ReadUInt16(descriptor + 14);
        }
    }

    /// <summary>Sixteen GiB of "RAM" of which only the first MiB has bytes behind it: enough to
    /// describe buffers of gigabytes without allocating them.</summary>
    private sealed class HugeSparseGuestMemory : IGuestMemory
    {
        private readonly byte[] _low = new byte[FakeVirtioDriver.DefaultMemorySize];

        public IReadOnlyList<GuestMemoryRegion> Regions { get; } = [new GuestMemoryRegion(0, 16ul << 30)];

        public bool TryGetSpan(ulong address, int length, out Span<byte> span)
        {
            if (length >= 0 && address <= (ulong)_low.Length && (ulong)length <= (ulong)_low.Length - address)
            {
                span = _low.AsSpan((int)address, length);
                return true;
            }
            span = default;
            return false;
        }
    }
}
