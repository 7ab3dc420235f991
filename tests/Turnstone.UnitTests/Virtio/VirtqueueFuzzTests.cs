using System.Buffers.Binary;
using Turnstone.Devices.Virtio;
using Turnstone.Devices.Virtio.Block;
using Turnstone.GuestMemory;

namespace Turnstone.UnitTests.Virtio;

public sealed class VirtqueueFuzzTests
{
    private const int MemorySize = 1 << 18;
    private const ulong BufferArea = 0x10000;

    /// <summary>
    /// 1000 rings of random garbage (with a bias towards plausible values, so chains get deep into
    /// validation and some requests succeed) driven through the queue and the virtio-blk handler.
    /// Every outcome must be a chain, a typed error or a status: no exception, no endless loop.
    /// </summary>
    [Fact]
    public void Random_rings_never_throw_and_every_outcome_is_a_result_or_a_typed_error()
    {
        var random = new Random(20240611);
        var chainErrors = new Dictionary<VirtqueueError, int>();
        var statuses = new Dictionary<VirtioBlockStatus, int>();
        int enableFailures = 0, ringFaults = 0, brokenRequests = 0;

        for (int ring = 0; ring < 1000; ring++)
        {
            var memory = new ArrayGuestMemory(MemorySize);
            var backend = new MemoryBlockBackend(64 * 1024, isReadOnly: random.Next(4) == 0);
            var handler = new VirtioBlockRequestHandler(memory, backend);
            var queue = BuildRandomRing(random, memory);

            if (!queue.TryEnable(out var enableError))
            {
                Assert.True(Enum.IsDefined(enableError));
                enableFailures++;
                continue;
            }

            int iterations = 0;
            while (queue.TryPopChain(out var chain))
            {
                Assert.True(++iterations <= Virtqueue.MaximumSize, "popped more chains than a ring can hold");
                if (chain.Error is { } error)
                {
                    Assert.True(Enum.IsDefined(error));
                    Assert.Empty(chain.Segments);
                    chainErrors[error] = chainErrors.GetValueOrDefault(error) + 1;
                }
                else
                {
                    AssertSegmentsAreRam(memory, chain);
                }

                var result = handler.Handle(chain);
                if (result.NeedsReset)
                {
                    Assert.NotNull(result.Problem);
                    brokenRequests++;
                    continue;
                }
                var status = StatusWritten(memory, chain);
                Assert.True(Enum.IsDefined(status));
                Assert.True(result.UsedLength <= chain.WritableLength);
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                queue.AddUsed(chain.HeadIndex, result.UsedLength);
                queue.NeedsNotification();
            }
            queue.EnableNotifications();
            if (queue.Error is { } ringError)
            {
                Assert.True(Enum.IsDefined(ringError));
                ringFaults++;
            }
        }

        // The generator must reach every layer, or the test proves little.
        Assert.True(enableFailures > 0 && enableFailures < 500, $"{enableFailures} rings failed to enable");
        Assert.True(ringFaults > 0, "no ring-level fault was generated");
        Assert.True(brokenRequests > 0);
        foreach (var error in new[] { VirtqueueError.DescriptorOutOfRange, VirtqueueError.AddressOutOfRange, VirtqueueError.ChainTooLong,
                     VirtqueueError.BadIndirect, VirtqueueError.WritableBeforeReadable })
        {
            Assert.True(chainErrors.GetValueOrDefault(error) > 0, $"no chain failed with {error}");
        }
        foreach (var status in Enum.GetValues<VirtioBlockStatus>())
        {
            Assert.True(statuses.GetValueOrDefault(status) > 0, $"no request ended with {status}");
        }
    }

    /// <summary>The status byte the handler left in guest memory: the chain's last writable byte.</summary>
    private static VirtioBlockStatus StatusWritten(IGuestMemory memory, VirtqueueDescriptorChain chain)
    {
        foreach (var range in chain.EnumerateWritable(chain.WritableLength - 1, 1))
        {
            return (VirtioBlockStatus)memory.ReadByte(range.Address);
        }
        throw new InvalidOperationException("a returned chain has a writable byte for its status");
    }

    private static void AssertSegmentsAreRam(IGuestMemory memory, VirtqueueDescriptorChain chain)
    {
        bool seenWritable = false;
        ulong readable = 0, writable = 0;
        foreach (var segment in chain.Segments)
        {
            Assert.True(memory.IsRam(segment.Address, segment.Length));
            Assert.False(seenWritable && !segment.IsWritable);
            seenWritable |= segment.IsWritable;
            if (segment.IsWritable) writable += segment.Length; else readable += segment.Length;
        }
        Assert.Equal(readable, chain.ReadableLength);
        Assert.Equal(writable, chain.WritableLength);
    }

    private static Virtqueue BuildRandomRing(Random random, ArrayGuestMemory memory)
    {
        // Garbage over the ring area; the buffer area gets plausible contents below. A seeded Random
        // is slow per byte, so bulk bytes come from SplitMix64 seeded by it.
        ulong state = (ulong)random.NextInt64();
        var garbage = memory.GetSpan(0, (int)BufferArea);
        for (int i = 0; i < garbage.Length; i += 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(garbage[i..], SplitMix64(ref state));
        }
        // Plausible request headers every 64 bytes of the buffer area, each followed by a
        // discard/write-zeroes segment, so some chains make sense as virtio-blk requests.
        uint[] types = [0, 1, 4, 8, 11, 13, 10, 99];
        for (ulong address = BufferArea; address < MemorySize; address += 64)
        {
            ulong bits = SplitMix64(ref state);
            var block = memory.GetSpan(address, 32);
            BinaryPrimitives.WriteUInt32LittleEndian(block, types[bits % (ulong)types.Length]);
            BinaryPrimitives.WriteUInt32LittleEndian(block[4..], 0);
            BinaryPrimitives.WriteUInt64LittleEndian(block[8..], (bits >> 8) % 140);
            BinaryPrimitives.WriteUInt64LittleEndian(block[16..], (bits >> 16) % 140);
            BinaryPrimitives.WriteUInt32LittleEndian(block[24..], (uint)((bits >> 24) % 4));
            BinaryPrimitives.WriteUInt32LittleEndian(block[28..], (uint)((bits >> 32) % 3));
        }

        ushort size = (ushort)(1 << random.Next(0, 9));
        bool sane = random.Next(10) != 0;
        ulong desc = sane ? 0x1000 : RandomAddress(random);
        ulong avail = sane ? 0x5000 : RandomAddress(random);
        ulong used = sane ? 0x6000 : RandomAddress(random);
        var queue = new Virtqueue(memory, 256)
        {
            Size = random.Next(20) == 0 ? (ushort)random.Next(0, 600) : size,
            DescriptorTableAddress = desc,
            AvailableRingAddress = avail,
            UsedRingAddress = used,
            EventIndexEnabled = random.Next(2) == 0,
            IndirectDescriptorsEnabled = random.Next(3) != 0,
        };
        if (!sane)
        {
            return queue;
        }

        for (int i = 0; i < size; i++)
        {
            WriteRandomDescriptor(random, memory, desc, i, size);
        }
        // A few indirect tables built from the same distribution.
        for (int t = 0; t < 4; t++)
        {
            ulong table = BufferArea + (ulong)random.Next(0, 0x2F000) / 16 * 16;
            int entries = random.Next(1, 9);
            for (int i = 0; i < entries; i++)
            {
                WriteRandomDescriptor(random, memory, table, i, entries);
            }
            if (random.Next(2) == 0)
            {
                FakeVirtioDriver.WriteDescriptor(memory, desc, random.Next(size), table,
                    random.Next(5) == 0 ? (uint)random.Next(0, 200) : (uint)(entries * 16), VirtqueueDescriptorChain.FlagIndirect, 0);
            }
        }

        ushort pending = random.Next(8) switch
        {
            0 => (ushort)random.Next(0, 65536),      // garbage index
            1 => (ushort)(size + 1),                 // just over a full ring
            _ => (ushort)random.Next(0, size + 1),
        };
        memory.WriteUInt16(avail + 2, pending);
        for (int i = 0; i < size; i++)
        {
            ushort head = random.Next(10) == 0 ? (ushort)random.Next(0, 65536) : (ushort)random.Next(size);
            memory.WriteUInt16(avail + 4 + 2UL * (ulong)i, head);
        }
        return queue;
    }

    private static void WriteRandomDescriptor(Random random, IGuestMemory memory, ulong table, int index, int entries)
    {
        ulong address = random.Next(6) switch
        {
            0 => RandomAddress(random),
            1 => (ulong)random.Next(0, MemorySize),
            _ => BufferArea + (ulong)random.Next(0, 0x2F000) / 64 * 64,
        };
        uint length = random.Next(6) switch
        {
            0 => (uint)random.NextInt64(0, 1L << 32),
            1 => 1,
            2 => 16,
            _ => (uint)random.Next(0, 5) * 512 + (random.Next(2) == 0 ? 0u : 1u),
        };
        ushort flags = random.Next(10) switch
        {
            0 => (ushort)random.Next(0, 65536),
            1 or 2 => (ushort)random.Next(0, 8),
            _ => (ushort)random.Next(0, 4), // NEXT and WRITE, as a driver writes them
        };
        ushort next = random.Next(8) switch
        {
            0 => (ushort)random.Next(0, 65536),
            1 or 2 => (ushort)random.Next(entries),
            _ => (ushort)(index + 1), // chains run forward, as Linux lays them out
        };
        FakeVirtioDriver.WriteDescriptor(memory, table, index, address, length, flags, next);
    }

    private static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E37_79B9_7F4A_7C15;
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB;
        return z ^ (z >> 31);
    }

    private static ulong RandomAddress(Random random)
    {
        Span<byte> bytes = stackalloc byte[8];
        random.NextBytes(bytes);
        ulong value = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        return random.Next(3) == 0 ? value : value % (MemorySize + 0x1000);
    }
}
