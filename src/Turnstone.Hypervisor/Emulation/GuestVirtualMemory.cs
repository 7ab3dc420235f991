using Turnstone.GuestMemory;

namespace Turnstone.Hypervisor.Emulation;

/// <summary>
/// Reads and writes guest-virtual ranges page by page through <see cref="GuestPageWalker"/>.
/// A range that is not fully mapped reports the first linear address that failed.
/// </summary>
public sealed class GuestVirtualMemory(IGuestMemory memory, PagingMode mode)
{
    public IGuestMemory Physical => memory;

    public bool TryRead(ulong linear, Span<byte> destination, out ulong faultAddress) =>
        TryAccess(linear, destination.Length, destination, isWrite: false, out faultAddress);

    public bool TryWrite(ulong linear, ReadOnlySpan<byte> source, out ulong faultAddress)
    {
        if (!TryProbeWrite(linear, source.Length, out faultAddress, out _))
        {
            return false;
        }
        // TryAccess copies in the direction the flag says; the cast only lets one loop serve both.
        var writable = System.Runtime.InteropServices.MemoryMarshal.CreateSpan(
            ref System.Runtime.InteropServices.MemoryMarshal.GetReference(source), source.Length);
        return TryAccess(linear, source.Length, writable, isWrite: true, out faultAddress);
    }

    /// <summary>
    /// Checks, before an instruction writes anything, that every page of the range is mapped and
    /// writable (CR0.WP makes read-only pages binding at CPL 0 too), so a faulting instruction
    /// leaves memory untouched. The error code is the #PF one: 2 (write, not present) or 3 (write, protection).
    /// </summary>
    public bool TryProbeWrite(ulong linear, int length, out ulong faultAddress, out uint errorCode)
    {
        bool writeProtect = (mode.Cr0 & (1ul << 16)) != 0;
        for (ulong page = linear & ~0xFFFul; page < linear + (ulong)length; page += 0x1000)
        {
            ulong address = Math.Max(page, linear);
            if (!GuestPageWalker.TryTranslate(memory, mode, address, out ulong physical, out var access) ||
                !memory.TryGetSpan(physical, 1, out _))
            {
                (faultAddress, errorCode) = (address, 2);
                return false;
            }
            if (writeProtect && !access.Writable)
            {
                (faultAddress, errorCode) = (address, 3);
                return false;
            }
        }
        (faultAddress, errorCode) = (0, 0);
        return true;
    }

    private bool TryAccess(ulong linear, int length, Span<byte> buffer, bool isWrite, out ulong faultAddress)
    {
        int done = 0;
        while (done < length)
        {
            ulong address = linear + (ulong)done;
            int inPage = (int)Math.Min(4096 - (address & 0xFFF), (ulong)(length - done));
            if (!GuestPageWalker.TryTranslate(memory, mode, address, out ulong physical) ||
                !memory.TryGetSpan(physical, inPage, out var span))
            {
                faultAddress = address;
                return false;
            }
            if (isWrite)
            {
                buffer.Slice(done, inPage).CopyTo(span);
            }
            else
            {
                span.CopyTo(buffer.Slice(done, inPage));
            }
            done += inPage;
        }
        faultAddress = 0;
        return true;
    }
}
