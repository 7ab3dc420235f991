using System.IO.Pipes;
using Microsoft.Win32.SafeHandles;
using Turnstone.HostIo;
using Turnstone.HostIo.Interop;

namespace Turnstone.UnitTests.HostIo;

public sealed class DescriptorOutputStreamTests
{
    private static void MakeNonBlocking(SafePipeHandle pipe)
    {
        var handle = new SafeFileHandle(pipe.DangerousGetHandle(), ownsHandle: false);
        int flags = Libc.Fcntl(handle, Libc.F_GETFL, 0);
        Assert.True(flags >= 0);
        Assert.Equal(0, Libc.Fcntl(handle, Libc.F_SETFL, flags | Libc.O_NONBLOCK));
    }

    [Fact]
    public void A_full_non_blocking_pipe_is_waited_out_and_no_byte_is_lost()
    {
        using var writeEnd = new AnonymousPipeServerStream(PipeDirection.Out);
        using var readEnd = new AnonymousPipeClientStream(PipeDirection.In, writeEnd.ClientSafePipeHandle);
        MakeNonBlocking(writeEnd.SafePipeHandle);
        byte[] sent = new byte[1 << 20]; // sixteen times a pipe's buffer: the writer meets EAGAIN
        new Random(7).NextBytes(sent);
        byte[] received = new byte[sent.Length];
        var reader = new Thread(() =>
        {
            Thread.Sleep(200); // let the pipe fill first
            readEnd.ReadExactly(received);
        });
        reader.Start();

        using (var stream = new DescriptorOutputStream((int)writeEnd.SafePipeHandle.DangerousGetHandle()))
        {
            stream.Write(sent, 0, sent.Length / 2);
            foreach (byte value in sent.AsSpan(sent.Length / 2, 4096))
            {
                stream.WriteByte(value);
            }
            stream.Write(sent.AsSpan(sent.Length / 2 + 4096));
        }
        Assert.True(reader.Join(TimeSpan.FromSeconds(30)));

        Assert.Equal(sent, received);
    }

    [Fact]
    public void A_pipe_whose_reader_is_gone_is_an_IOException()
    {
        using var writeEnd = new AnonymousPipeServerStream(PipeDirection.Out);
        writeEnd.DisposeLocalCopyOfClientHandle(); // no reader left: write(2) fails with EPIPE
        var stream = new DescriptorOutputStream((int)writeEnd.SafePipeHandle.DangerousGetHandle());

        var error = Assert.Throws<IOException>(() => stream.Write([1, 2, 3]));
        Assert.Contains("pipe", error.Message, StringComparison.OrdinalIgnoreCase);
    }
}
