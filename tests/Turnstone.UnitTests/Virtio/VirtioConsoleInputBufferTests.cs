using Turnstone.Devices.Virtio.Console;

namespace Turnstone.UnitTests.Virtio;

public sealed class VirtioConsoleInputBufferTests
{
    [Fact]
    public void Peek_leaves_bytes_and_discard_removes_them_across_the_wrap()
    {
        var buffer = new VirtioConsoleInputBuffer(6);
        Assert.Equal(4, buffer.Append("abcd"u8));
        buffer.Discard(3);
        Assert.Equal(5, buffer.Append("efghi"u8)); // wraps around the end of the ring

        var peeked = new byte[6];
        Assert.Equal(6, buffer.Peek(peeked));
        Assert.Equal("defghi"u8.ToArray(), peeked);
        Assert.Equal(6, buffer.Count);

        buffer.Discard(4);
        Assert.Equal(2, buffer.Peek(peeked));
        Assert.Equal("hi"u8.ToArray(), peeked[..2]);
    }

    [Fact]
    public void A_full_buffer_refuses_the_newest_bytes()
    {
        var buffer = new VirtioConsoleInputBuffer(4);

        Assert.Equal(4, buffer.Append("abcdef"u8));
        Assert.Equal(0, buffer.Append("g"u8));
        var peeked = new byte[4];
        buffer.Peek(peeked);
        Assert.Equal("abcd"u8.ToArray(), peeked);
    }

    [Fact]
    public void Discard_never_removes_more_than_is_held()
    {
        var buffer = new VirtioConsoleInputBuffer(4);
        buffer.Append("ab"u8);

        buffer.Discard(10);
        buffer.Discard(-1);

        Assert.Equal(0, buffer.Count);
        Assert.Equal(3, buffer.Append("xyz"u8));
    }
}
