using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Turnstone.HostIo;
using Turnstone.HostIo.Interop;
using Turnstone.Hypervisor.Kvm;

namespace Turnstone.UnitTests.HostIo;

/// <summary>
/// The io_uring engine against the host kernel and real temporary files: io_uring needs no KVM.
/// Buffers are pinned arrays, so the kernel gets stable addresses and the test reads them as arrays.
/// </summary>
public sealed class IoUringTests : IDisposable
{
    private const int Ebadf = 9;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("turnstone-io-uring-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void Interop_structures_have_the_sizes_and_offsets_of_linux_io_uring_h()
    {
        // Values printed by gcc from /usr/include/linux/io_uring.h (linux-libc-dev 6.1) for x86-64.
        Assert.Equal(120, Unsafe.SizeOf<IoUringParams>());
        Assert.Equal(40, Unsafe.SizeOf<IoSqringOffsets>());
        Assert.Equal(40, Unsafe.SizeOf<IoCqringOffsets>());
        Assert.Equal(64, Unsafe.SizeOf<IoUringSqe>());
        Assert.Equal(16, Unsafe.SizeOf<IoUringCqe>());
        Assert.Equal(16, Unsafe.SizeOf<IoVec>());
        Assert.Equal(20, (int)Marshal.OffsetOf<IoUringParams>(nameof(IoUringParams.Features)));
        Assert.Equal(40, (int)Marshal.OffsetOf<IoUringParams>(nameof(IoUringParams.SqOff)));
        Assert.Equal(80, (int)Marshal.OffsetOf<IoUringParams>(nameof(IoUringParams.CqOff)));
        Assert.Equal(4, (int)Marshal.OffsetOf<IoUringSqe>(nameof(IoUringSqe.Fd)));
        Assert.Equal(16, (int)Marshal.OffsetOf<IoUringSqe>(nameof(IoUringSqe.Address)));
        Assert.Equal(24, (int)Marshal.OffsetOf<IoUringSqe>(nameof(IoUringSqe.Length)));
        Assert.Equal(28, (int)Marshal.OffsetOf<IoUringSqe>(nameof(IoUringSqe.OpFlags)));
        Assert.Equal(32, (int)Marshal.OffsetOf<IoUringSqe>(nameof(IoUringSqe.UserData)));
        Assert.Equal(48, (int)Marshal.OffsetOf<IoUringSqe>(nameof(IoUringSqe.Address3)));
    }

    [Fact]
    public void Constructing_with_zero_entries_throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new IoUring(0, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IoUring(8, 0));
    }

    [Fact]
    public void The_kernel_rounds_entries_up_and_gives_a_completion_ring_twice_as_large()
    {
        using var ring = new IoUring(5, 3);

        Assert.Equal(8u, ring.SubmissionEntries);
        Assert.Equal(16u, ring.CompletionEntries);
        Assert.Equal(3, ring.MaxVectorsPerRequest);
        Assert.Equal(0, ring.InFlight);
        Assert.Equal(0, ring.Submit());
    }

    [Fact]
    public void Readv_scatters_a_file_into_several_buffers()
    {
        byte[] content = Pattern(10_000, seed: 1);
        using var file = CreateFile(content);
        using var ring = new IoUring(8, 3);
        byte[][] buffers = [Pinned(4096), Pinned(3000), Pinned(2000)];

        Assert.True(ring.TryQueueReadv(file, Vectors(buffers), fileOffset: 100, userData: 42));
        Assert.Equal(1, ring.InFlight);
        IoCompletion completion = WaitForOne(ring);

        Assert.Equal(new IoCompletion(42, 9096), completion);
        Assert.Equal(0, ring.InFlight);
        Assert.Equal(content.AsSpan(100, 9096).ToArray(), buffers.SelectMany(b => b).ToArray());
    }

    [Fact]
    public void Writev_gathers_buffers_into_the_file()
    {
        using var file = CreateFile([]);
        using var ring = new IoUring(8, 3);
        byte[][] buffers = [Pinned(512), Pinned(100), Pinned(4096)];
        for (int i = 0; i < buffers.Length; i++)
        {
            Pattern(buffers[i].Length, seed: 10 + i).CopyTo(buffers[i], 0);
        }

        Assert.True(ring.TryQueueWritev(file, Vectors(buffers), fileOffset: 0, userData: 7));

        Assert.Equal(new IoCompletion(7, 4708), WaitForOne(ring));
        file.Close();
        Assert.Equal(buffers.SelectMany(b => b).ToArray(), File.ReadAllBytes(FilePath));
    }

    [Fact]
    public void Fsync_completes_with_zero()
    {
        using var file = CreateFile(Pattern(4096, seed: 2));
        using var ring = new IoUring(4, 1);

        Assert.True(ring.TryQueueFsync(file, userData: 99));

        Assert.Equal(new IoCompletion(99, 0), WaitForOne(ring));
    }

    [Fact]
    public void Readv_at_the_end_of_the_file_completes_with_zero_bytes()
    {
        using var file = CreateFile(Pattern(1000, seed: 3));
        using var ring = new IoUring(4, 1);

        Assert.True(ring.TryQueueReadv(file, Vectors([Pinned(512)]), fileOffset: 1000, userData: 1));
        Assert.True(ring.TryQueueReadv(file, Vectors([Pinned(512)]), fileOffset: 900, userData: 2));
        ring.SubmitAndWait(2);

        var results = TakeAll(ring).ToDictionary(c => c.UserData, c => c.Result);
        Assert.Equal(0, results[1]);
        Assert.Equal(100, results[2]);
    }

    [Fact]
    public void Writev_to_a_read_only_descriptor_completes_with_EBADF()
    {
        File.WriteAllBytes(FilePath, Pattern(100, seed: 4));
        using var file = File.OpenHandle(FilePath, FileMode.Open, FileAccess.Read);
        using var ring = new IoUring(4, 1);

        Assert.True(ring.TryQueueWritev(file, Vectors([Pinned(100)]), fileOffset: 0, userData: 5));

        Assert.Equal(new IoCompletion(5, -Ebadf), WaitForOne(ring));
    }

    [Fact]
    public void Sixty_four_requests_in_flight_complete_once_each_in_any_order()
    {
        const int Count = 64, Size = 512;
        byte[] content = Pattern(Count * Size, seed: 5);
        using var file = CreateFile(content);
        using var ring = new IoUring(Count, 1);
        byte[][] buffers = Enumerable.Range(0, Count).Select(_ => Pinned(Size)).ToArray();

        // Queued back to front, so that completing in queue order would not be file order either.
        for (int i = Count - 1; i >= 0; i--)
        {
            Assert.True(ring.TryQueueReadv(file, Vectors([buffers[i]]), (ulong)(i * Size), userData: 1000 + (ulong)i));
        }
        Assert.Equal(Count, ring.InFlight);
        Assert.Equal(Count, ring.Submit());

        var seen = new HashSet<ulong>();
        while (seen.Count < Count)
        {
            ring.SubmitAndWait(1);
            foreach (var completion in TakeAll(ring))
            {
                Assert.Equal(Size, completion.Result);
                Assert.True(seen.Add(completion.UserData), $"user data {completion.UserData} completed twice");
            }
        }
        Assert.Equal(Enumerable.Range(1000, Count).Select(i => (ulong)i), seen.Order());
        Assert.Equal(0, ring.InFlight);
        Assert.Equal(content, buffers.SelectMany(b => b).ToArray());
    }

    [Fact]
    public void TryQueue_returns_false_when_the_submission_ring_is_full_until_Submit_makes_room()
    {
        using var file = CreateFile(Pattern(4096, seed: 6));
        using var ring = new IoUring(4, 1);
        var vectors = Vectors([Pinned(64)]);

        for (int i = 0; i < 4; i++)
        {
            Assert.True(ring.TryQueueReadv(file, vectors, 0, (ulong)i));
        }
        Assert.False(ring.TryQueueReadv(file, vectors, 0, 4));
        Assert.False(ring.TryQueueFsync(file, 4));
        Assert.Equal(4, ring.InFlight);

        Assert.Equal(4, ring.Submit());
        Assert.True(ring.TryQueueReadv(file, vectors, 0, 4));
        ring.SubmitAndWait(5);
        Assert.Equal(5, TakeAll(ring).Count);
    }

    [Fact]
    public void TryQueue_refuses_more_requests_in_flight_than_the_completion_ring_holds()
    {
        using var file = CreateFile(Pattern(4096, seed: 7));
        using var ring = new IoUring(4, 1);
        var vectors = Vectors([Pinned(64)]);

        for (int i = 0; i < 8; i++)
        {
            Assert.True(ring.TryQueueReadv(file, vectors, 0, (ulong)i));
            ring.Submit();
        }
        Assert.Equal(8, ring.InFlight);
        Assert.False(ring.TryQueueReadv(file, vectors, 0, 8));

        ring.SubmitAndWait(8);
        Assert.True(ring.TryTakeCompletion(out _));
        Assert.True(ring.TryQueueReadv(file, vectors, 0, 8));
        ring.SubmitAndWait(8);
        Assert.Equal(8, TakeAll(ring).Count);
    }

    [Fact]
    public void Vector_counts_outside_one_to_the_maximum_are_argument_errors()
    {
        using var file = CreateFile(Pattern(100, seed: 8));
        using var ring = new IoUring(4, 2);

        Assert.Throws<ArgumentException>(() => ring.TryQueueReadv(file, [], 0, 0));
        Assert.Throws<ArgumentException>(() => ring.TryQueueWritev(file, Vectors([Pinned(1), Pinned(1), Pinned(1)]), 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.SubmitAndWait(1));
        Assert.Equal(0, ring.InFlight);
    }

    [Fact]
    public async Task The_registered_eventfd_is_signalled_after_a_completion()
    {
        using var file = CreateFile(Pattern(4096, seed: 9));
        using var ring = new IoUring(4, 1);
        using var eventFd = new EventFd();
        ring.SignalOnCompletion(eventFd);
        Assert.Throws<InvalidOperationException>(() => ring.SignalOnCompletion(eventFd));

        Assert.True(ring.TryQueueReadv(file, Vectors([Pinned(4096)]), 0, 3));
        Assert.Equal(1, ring.Submit());

        // No wait in the ring: the eventfd alone must report the completion.
        ulong signals = await Task.Factory.StartNew(eventFd.Wait, TaskCreationOptions.LongRunning).WaitAsync(Patience);
        Assert.NotEqual(0ul, signals);
        Assert.True(ring.TryTakeCompletion(out var completion));
        Assert.Equal(new IoCompletion(3, 4096), completion);
    }

    [Fact]
    public void Dispose_with_untaken_completions_returns_and_later_use_throws()
    {
        using var file = CreateFile(Pattern(4096, seed: 10));
        var ring = new IoUring(4, 1);
        Assert.True(ring.TryQueueReadv(file, Vectors([Pinned(4096)]), 0, 1));
        Assert.True(ring.TryQueueFsync(file, 2));
        ring.Submit();
        Assert.True(ring.TryQueueFsync(file, 3)); // queued, never submitted: dropped

        ring.Dispose();
        ring.Dispose();

        Assert.Throws<ObjectDisposedException>(() => ring.Submit());
        Assert.Throws<ObjectDisposedException>(() => ring.TryTakeCompletion(out _));
        Assert.Throws<ObjectDisposedException>(() => ring.TryQueueFsync(file, 4));
    }

    [Fact]
    public void A_read_lands_in_guest_RAM_through_its_host_address()
    {
        byte[] content = Pattern(4096, seed: 11);
        using var file = CreateFile(content);
        using var memory = new MappedGuestMemory();
        memory.AddRegion(0x10000, 0x4000);
        using var ring = new IoUring(4, 1);

        Assert.True(memory.TryGetHostAddress(0x11000, 0x1000, out nuint host));
        Assert.True(ring.TryQueueReadv(file, [new IoVector(host, 0x1000)], 0, 1));
        Assert.Equal(new IoCompletion(1, 4096), WaitForOne(ring));

        Assert.True(memory.TryGetSpan(0x11000, 0x1000, out Span<byte> guest));
        Assert.Equal(content, guest.ToArray());
        Assert.True(memory.TryGetHostAddress(0x13000, 0x1000, out nuint last));
        Assert.Equal(host + 0x2000, last);
    }

    [Fact]
    public void TryGetHostAddress_refuses_ranges_outside_one_region_and_disposed_memory()
    {
        var memory = new MappedGuestMemory();
        memory.AddRegion(0x10000, 0x4000);
        memory.AddRegion(0x14000, 0x1000);

        Assert.False(memory.TryGetHostAddress(0xf000, 0x2000, out _));      // starts below RAM
        Assert.False(memory.TryGetHostAddress(0x13000, 0x2000, out _));     // spans two regions
        Assert.False(memory.TryGetHostAddress(0x20000, 1, out _));          // unmapped
        Assert.False(memory.TryGetHostAddress(0x10000, ulong.MaxValue, out _));
        Assert.True(memory.TryGetHostAddress(0x10000, 0x4000, out nuint host));
        Assert.NotEqual((nuint)0, host);

        memory.Dispose();
        Assert.False(memory.TryGetHostAddress(0x10000, 0x1000, out nuint after));
        Assert.Equal((nuint)0, after);
    }

    private string FilePath => Path.Combine(_directory.FullName, "disk.img");

    private SafeFileHandle CreateFile(byte[] content)
    {
        File.WriteAllBytes(FilePath, content);
        return File.OpenHandle(FilePath, FileMode.Open, FileAccess.ReadWrite);
    }

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>An array on the pinned object heap: its address never changes, so the kernel may keep it.</summary>
    private static byte[] Pinned(int length) => GC.AllocateArray<byte>(length, pinned: true);

    private static IoVector[] Vectors(byte[][] buffers) =>
        buffers.Select(b => new IoVector((nuint)Marshal.UnsafeAddrOfPinnedArrayElement(b, 0), (nuint)b.Length)).ToArray();

    private static IoCompletion WaitForOne(IoUring ring)
    {
        ring.SubmitAndWait(1);
        Assert.True(ring.TryTakeCompletion(out var completion));
        Assert.False(ring.TryTakeCompletion(out _));
        return completion;
    }

    private static List<IoCompletion> TakeAll(IoUring ring)
    {
        var completions = new List<IoCompletion>();
        while (ring.TryTakeCompletion(out var completion))
        {
            completions.Add(completion);
        }
        return completions;
    }
}
