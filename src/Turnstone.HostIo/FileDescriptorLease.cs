namespace Turnstone.HostIo;

/// <summary>
/// A hold on a <see cref="FileDescriptor"/> while its number is in use. A Dispose of the owner
/// that races with the use only marks the handle closed; close(2) runs when the last lease ends.
/// Without this, a descriptor closed on one thread could be reused by an unrelated file before a
/// blocked poll or a pending ioctl on another thread reaches the kernel. Dispose each lease once.
/// </summary>
public readonly struct FileDescriptorLease : IDisposable
{
    private readonly FileDescriptor _handle;

    /// <exception cref="ObjectDisposedException">The descriptor is already closed.</exception>
    public FileDescriptorLease(FileDescriptor handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        bool added = false;
        handle.DangerousAddRef(ref added);
        _handle = handle;
    }

    public int Fd => _handle.Fd;

    public void Dispose() => _handle.DangerousRelease();
}
