namespace Turnstone.GuestMemory;

/// <summary>
/// Guest RAM that is ordinary host memory at fixed host addresses (a VM's mapped RAM, not managed
/// arrays that may move), so host I/O can move data straight between a file and guest memory
/// (io_uring, preadv2) without a copy.
/// </summary>
public interface IHostMappedGuestMemory : IGuestMemory
{
    /// <summary>
    /// The host virtual address of guest-physical [guestAddress, guestAddress+length), or false when
    /// the range is not inside one RAM region or the memory is already released. The address is
    /// valid until the memory is released: I/O on it must finish first.
    /// </summary>
    bool TryGetHostAddress(ulong guestAddress, ulong length, out nuint hostAddress);
}
