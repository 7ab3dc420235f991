namespace Turnstone.Cpu;

// Memory operands of the x87/SSE instructions: every page translated (and faulting) before a byte
// moves, RAM only, copied in chunks through the TLB.
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>Translates every page of [address, address + size) (faulting if one is absent);
    /// memory operands of the floating-point instructions must be RAM.</summary>
    private bool ProbeRange(int set, ulong address, int size)
    {
        ulong last = address + (ulong)size - 1;
        for (ulong page = address & ~0xFFFUL; ; page += 4096)
        {
            if (!TranslateCachedPage(set, Math.Max(page, address), out byte* host))
            {
                return false;
            }
            if (host == null)
            {
                return NotImplemented("an x87/SSE memory operand outside RAM (MMIO)");
            }
            if (page == (last & ~0xFFFUL))
            {
                return true;
            }
        }
    }

    private bool ReadBytes(ulong address, Span<byte> destination)
    {
        int done = 0;
        while (done < destination.Length)
        {
            int chunk = ChunkSize(destination.Length - done);
            if (!TryRead(address + (ulong)done, chunk, out ulong value))
            {
                return false;
            }
            for (int b = 0; b < chunk; b++)
            {
                destination[done + b] = (byte)(value >> (8 * b));
            }
            done += chunk;
        }
        return true;
    }

    private bool WriteBytes(ulong address, ReadOnlySpan<byte> source)
    {
        int done = 0;
        while (done < source.Length)
        {
            int chunk = ChunkSize(source.Length - done);
            ulong value = 0;
            for (int b = 0; b < chunk; b++)
            {
                value |= (ulong)source[done + b] << (8 * b);
            }
            if (!TryWrite(address + (ulong)done, chunk, value))
            {
                return false;
            }
            done += chunk;
        }
        return true;
    }

    private static int ChunkSize(int remaining) => remaining >= 8 ? 8 : remaining >= 4 ? 4 : remaining >= 2 ? 2 : 1;
}
