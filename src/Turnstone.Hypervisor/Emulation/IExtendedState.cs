namespace Turnstone.Hypervisor.Emulation;

/// <summary>
/// The vCPU's x87/SSE/AVX state as the emulator needs it: KVM_GET/SET_XSAVE on a real vCPU, an
/// array in tests. The image is the standard (non-compacted) XSAVE layout KVM uses.
/// </summary>
public interface IExtendedState
{
    /// <summary>XCR0: the state components the guest enabled.</summary>
    ulong Xcr0 { get; }

    void ReadXsaveImage(Span<byte> image);

    void WriteXsaveImage(ReadOnlySpan<byte> image);
}
