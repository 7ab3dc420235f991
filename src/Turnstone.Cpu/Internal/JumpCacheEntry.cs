namespace Turnstone.Cpu.Internal;

/// <summary>
/// One slot of the jump cache: the block found for a RIP (with the code-size tag outside 64-bit
/// code) and the address-space tag it was found under. One struct per slot, so a lookup touches one
/// cache line rather than one in each of three arrays (the 16,384-entry cache of a Linux machine is
/// larger than the L2 cache).
/// </summary>
internal struct JumpCacheEntry
{
    public DecodedBlock? Block;
    public ulong Rip;
    public int Space;
}
