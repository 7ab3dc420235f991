using Turnstone.Bench.Boot;

namespace Turnstone.UnitTests.Bench;

public sealed class ProcessMemoryTests
{
    private const long GuestRam = 512L << 20;

    // Shaped like QEMU TCG's smaps with 512 MiB of guest RAM (sizes from a run on 2026-12-07): its
    // binary, the translated-code buffer (1 GiB, larger than guest RAM), guest RAM, the heap.
    private static readonly string[] QemuLike =
    [
        "55d0a0000000-55d0a0597000 r-xp 00000000 fe:00 123 /usr/bin/qemu-system-x86_64",
        "Size:               5724 kB",
        "Rss:                5272 kB",
        "7f0000000000-7f003ffff000 rwxp 00000000 00:00 0 ",
        "Size:            1048572 kB",
        "Rss:               18432 kB",
        "7f0040000000-7f0060000000 rw-p 00000000 00:00 0 ",
        "Size:             524288 kB",
        "Rss:               30720 kB",
        "55d0a1000000-55d0a1e89000 rw-p 00000000 00:00 0                          [heap]",
        "Size:              14884 kB",
        "Rss:                4664 kB",
    ];

    [Fact]
    public void Guest_RAM_is_the_smallest_anonymous_mapping_as_large_as_it_and_everything_else_counts()
    {
        Assert.Equal((5272L + 18432 + 4664) << 10, ProcessMemory.BeyondGuestRam(QemuLike, GuestRam));
    }

    [Fact]
    public void A_file_mapping_as_large_as_guest_RAM_is_never_taken_for_it()
    {
        string[] smaps =
        [
            "7f1000000000-7f1030000000 r--s 00000000 fe:00 77 /var/lib/big.img",
            "Rss:               2048 kB",
            "7f2000000000-7f2020000000 rw-p 00000000 00:00 0 ",
            "Rss:               1024 kB",
        ];

        Assert.Equal(2048L << 10, ProcessMemory.BeyondGuestRam(smaps, GuestRam));
    }

    [Fact]
    public void A_named_anonymous_mapping_counts_as_anonymous()
    {
        string[] smaps =
        [
            "7f2000000000-7f2020000000 rw-p 00000000 00:00 0                          [anon:guest ram]",
            "Rss:               1024 kB",
            "7f3000000000-7f3000100000 rw-p 00000000 00:00 0 ",
            "Rss:                512 kB",
        ];

        Assert.Equal(512L << 10, ProcessMemory.BeyondGuestRam(smaps, GuestRam));
    }

    [Fact]
    public void Without_a_mapping_as_large_as_guest_RAM_there_is_no_figure()
    {
        Assert.Null(ProcessMemory.BeyondGuestRam(QemuLike, 2L << 30));
    }

    [Fact]
    public void A_process_that_is_gone_has_no_figure()
    {
        Assert.Null(ProcessMemory.BeyondGuestRam(int.MaxValue, GuestRam));
    }
}
