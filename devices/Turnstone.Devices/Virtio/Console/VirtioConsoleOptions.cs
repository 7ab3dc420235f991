namespace Turnstone.Devices.Virtio.Console;

/// <summary>Host-side choices for a virtio-console device (not guest-controlled).</summary>
public sealed record VirtioConsoleOptions
{
    /// <summary>Size of each of the two queues (a power of two up to 32768).</summary>
    public ushort QueueSize { get; init; } = 128;

    /// <summary>
    /// Host input held while the guest has no receive buffer posted. 64 KiB is far more than anyone
    /// types ahead of a booting guest; a large paste can fill it, and the excess is refused (see
    /// <see cref="VirtioConsoleDevice.EnqueueInput"/>).
    /// </summary>
    public int InputBufferCapacity { get; init; } = 64 * 1024;

    /// <summary>
    /// The terminal size to report. Set, VIRTIO_CONSOLE_F_SIZE is offered and
    /// <see cref="VirtioConsoleDevice.Resize"/> may change it later; null leaves the feature out and
    /// the guest keeps its default window size.
    /// </summary>
    public VirtioConsoleSize? InitialSize { get; init; }

    /// <summary>Offer VIRTIO_CONSOLE_F_EMERG_WRITE, so a guest can print before (or without) its queues.</summary>
    public bool EnableEmergencyWrite { get; init; } = true;
}
