namespace Turnstone.Devices.Virtio;

/// <summary>What one pass over a queue did, for the transport to act on.</summary>
/// <param name="Completed">Chains returned to the driver through the used ring.</param>
/// <param name="InterruptNeeded">Raise the queue's used buffer notification (MSI-X vector / irqfd).</param>
/// <param name="NeedsReset">The driver broke the queue or a chain: set DEVICE_NEEDS_RESET in the device
/// status and send a configuration change notification. The device processes nothing more until reset.</param>
/// <param name="Problem">What went wrong, for the VM's log.</param>
public readonly record struct VirtqueueRunResult(int Completed, bool InterruptNeeded, bool NeedsReset, string? Problem);
