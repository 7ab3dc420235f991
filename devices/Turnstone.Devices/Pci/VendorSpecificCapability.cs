namespace Turnstone.Devices.Pci;

/// <summary>
/// A vendor-specific capability (ID 0x09): header, a length byte covering the whole structure,
/// then the caller's payload. virtio-pci describes its common, notify, ISR and device config
/// structures (and its config access window) this way.
/// </summary>
public static class VendorSpecificCapability
{
    /// <summary>Offset of the payload from the start of the capability (after ID, next and length).</summary>
    public const int PayloadOffset = 3;

    /// <summary>
    /// Appends the capability; <paramref name="writable"/> (empty for read-only) covers the
    /// payload. Returns the capability's offset.
    /// </summary>
    public static int Add(PciConfigSpace config, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> writable = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        int length = PayloadOffset + payload.Length;
        if (length > byte.MaxValue)
        {
            throw new ArgumentException($"a vendor capability of {length} bytes does not fit its length byte", nameof(payload));
        }
        if (writable.Length > payload.Length)
        {
            throw new ArgumentException("the writable mask is longer than the payload", nameof(writable));
        }
        var body = new byte[1 + payload.Length];
        body[0] = (byte)length;
        payload.CopyTo(body.AsSpan(1));
        var bodyWritable = new byte[body.Length];
        writable.CopyTo(bodyWritable.AsSpan(1));
        return config.AddCapability(PciCapabilityId.VendorSpecific, body, bodyWritable);
    }
}
