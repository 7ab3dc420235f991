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
        // TryAccess copies in the direction the flag says; the cast only lets one loop serve both.
        var writable = System.Runtime.InteropServices.MemoryMarshal.CreateSpan(
            ref System.Runtime.InteropServices.MemoryMarshal.GetReference(source), source.Length);
        return TryAccess(linear, source.Length, writable, isWrite: true, out faultAddress);
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
