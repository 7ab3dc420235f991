namespace Turnstone.Devices.Pci;

/// <summary>Status register bits.</summary>
[Flags]
public enum PciStatus : ushort
{
    None = 0,
    InterruptStatus = 1 << 3,
    CapabilitiesList = 1 << 4,
    MasterDataParityError = 1 << 8,
    SignaledTargetAbort = 1 << 11,
    ReceivedTargetAbort = 1 << 12,
    ReceivedMasterAbort = 1 << 13,
    SignaledSystemError = 1 << 14,
    DetectedParityError = 1 << 15,

    /// <summary>The error bits: write 1 to clear, a guest can never set them.</summary>
    ErrorBits = MasterDataParityError | SignaledTargetAbort | ReceivedTargetAbort | ReceivedMasterAbort
        | SignaledSystemError | DetectedParityError,
}
