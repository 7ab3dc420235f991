namespace Turnstone.Devices.Bus;

/// <summary>
/// A device on a port-I/O or MMIO bus. <paramref name="offset"/> is relative to the start of the
/// range the device was mapped at; <c>data</c> is the access (1, 2, 4 or 8 bytes, little-endian).
/// Devices never see KVM: the machine routes exits to them, so they run in tests unchanged.
/// </summary>
public interface IBusDevice
{
    void Read(ulong offset, Span<byte> data);

    void Write(ulong offset, ReadOnlySpan<byte> data);
}
