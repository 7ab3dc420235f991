using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// The decoded-code cache has a memory budget. A booting kernel runs most of its code once (init
// code, then freed), so an unbounded cache grows with everything ever run: about 12 MiB of decoded
// blocks for a minimal kernel's boot, 30 MiB for a distribution kernel's, most of it dead. When the
// budget is spent every block is dropped at once, as QEMU flushes its translation buffer when full:
// the hot code decodes again in microseconds, and its compiled form is found again by its bytes in
// the process-wide CompiledCodeCache, so nothing is compiled twice.
public sealed partial class SoftwareCpu
{
    /// <summary>Estimated bytes of decoded blocks that may be cached before all are dropped: above
    /// a minimal kernel's whole boot (about 12 MiB), below a distribution kernel's (about 30 MiB).
    /// Linux machines set <see cref="BroadCodeDecodedCodeBudgetBytes"/>; tests set their own.</summary>
    public long DecodedCodeBudgetBytes { get; set; } = 16L << 20;

    /// <summary>Bookkeeping per block beyond its instructions and code bytes: the block object, its
    /// two array headers, and its entries in the by-address and by-page dictionaries.</summary>
    private const int BlockOverheadBytes = 160;

    private long _decodedCodeBytes;

    /// <summary>Times the decoded-code cache was dropped for its budget (for tests and diagnostics).</summary>
    public long DecodedCodeFlushes { get; private set; }

    /// <summary>Estimated bytes held by the decoded-code cache now.</summary>
    public long DecodedCodeBytes => _decodedCodeBytes;

    /// <summary>Called before a freshly decoded block is cached (a revived one was charged when first
    /// decoded: the retired blocks are dropped with the rest): drops every cached
    /// block first when this one would overrun the budget.</summary>
    private void ChargeDecodedCode(DecodedBlock block)
    {
        long cost = EstimatedBytes(block);
        if (_decodedCodeBytes + cost > DecodedCodeBudgetBytes && _blocks.Count > 0)
        {
            DropDecodedCode();
        }
        _decodedCodeBytes += cost;
    }

    private static long EstimatedBytes(DecodedBlock block) =>
        block.Instructions.Length * (long)System.Runtime.CompilerServices.Unsafe.SizeOf<DecodedInstruction>() + block.Code.Length + BlockOverheadBytes;

    private void DropDecodedCode()
    {
        foreach (var block in _blocks.Values)
        {
            // Jump-cache entries and anything else still pointing at it now miss and look it up again.
            block.Valid = false;
            ForgetNative(block);
        }
        _blocks.Clear();
        _blocks.TrimExcess();
        _blocksByPage.Clear();
        _blocksByPage.TrimExcess();
        _retiredBlocks.Clear();
        _retiredBlocks.TrimExcess();
        Array.Clear(_jumpCache);
        ForgetBlockLinks();
        _decodedCodeBytes = 0;
        DecodedCodeFlushes++;
    }
}
