namespace Turnstone.Devices.Virtio;

/// <summary>
/// What a device made of one chain, whatever the device and whether the chain was handled at once
/// or finished later: the chain goes back to the driver with a used length, or the driver broke
/// the protocol and the chain must not be returned.
/// </summary>
/// <param name="NeedsReset">The chain broke the protocol (malformed descriptors, buffers in the wrong
/// direction, no room for a status): nothing was reported to the guest, the chain must not be
/// returned, and the device should set DEVICE_NEEDS_RESET.</param>
/// <param name="UsedLength">The <c>len</c> for the used ring: bytes written from the start of the
/// chain's writable part without a gap (0 when <paramref name="NeedsReset"/>).</param>
/// <param name="ChainError">The descriptor-level fault, when that is why the chain is broken.</param>
/// <param name="Problem">What went wrong, for the VM's log: why the chain is broken, or why a request
/// the device answered (with an error status) did not succeed; null on success.</param>
public readonly record struct VirtqueueChainOutcome(bool NeedsReset, uint UsedLength, VirtqueueError? ChainError, string? Problem)
{
    /// <summary>The chain goes back to the driver with <paramref name="usedLength"/>; <paramref name="problem"/> says why a request failed, if it did.</summary>
    public static VirtqueueChainOutcome Used(uint usedLength, string? problem = null) => new(false, usedLength, null, problem);

    /// <summary>The driver broke the protocol with this chain.</summary>
    public static VirtqueueChainOutcome Broken(string problem, VirtqueueError? chainError = null) => new(true, 0, chainError, problem);
}
