using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Iced.Intel;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// The run loop: find (or decode) the block at RIP, run it, and between blocks take stop requests,
// interrupts and the budget into account. Blocks are cached by guest-physical address and found
// from RIP through a direct-mapped jump cache per privilege, whose entries a TLB flush makes stale
// (SoftwareCpu.GlobalPages.cs) rather than empty.
public sealed unsafe partial class SoftwareCpu
{
    internal const int MaxBlockInstructions = 64;
    /// <summary>Jump-cache entries per privilege unless the creator asks for more.</summary>
    public const int DefaultJumpCacheEntries = 4096;
    /// <summary>The bytes 64 instructions of at most 15 bytes take: what a block's decode window holds
    /// from its start (and from a jumped-through JMP's target on).</summary>
    private const int MaxBlockBytes = MaxBlockInstructions * 15;
    /// <summary>The most bytes a block skips at a JMP it continues through (the skipped bytes stay in the
    /// block's code copy, which the decoded-code budget charges).</summary>
    private const int MaxJumpedThroughBytes = 1024;
    private const int MaxRetiredBlocks = 4096;

    private readonly Dictionary<ulong, DecodedBlock> _blocks = [];
    private readonly Dictionary<ulong, List<DecodedBlock>> _blocksByPage = [];
    // Blocks dropped because their page was written, by physical start: when the bytes there are
    // the same again (a recycled component machine reloading the same program, the host reading
    // through a writable span), the decoded form is taken back instead of decoding afresh.
    private readonly Dictionary<ulong, DecodedBlock> _retiredBlocks = [];
    private readonly JumpCacheEntry[] _jumpCache;
    /// <summary>Entries per privilege minus one (a power of two minus one); the user half starts after the supervisor half.</summary>
    private readonly int _jumpCacheMask;
    private readonly FetchBuffer _fetch = new();
    /// <summary>One decoder per code size: 16-, 32- and 64-bit.</summary>
    private readonly Decoder?[] _decoders = new Decoder?[3];
    private readonly List<DecodedInstruction> _decodeScratch = [];

    /// <summary>Runs until an exit. <paramref name="instructionBudget"/> bounds the instructions
    /// retired in this call (a REP string instruction counts once per chunk of iterations).</summary>
    /// <remarks>Compiled fully optimised from the start: it is entered once per exit, so tiered
    /// compilation would leave the loop that runs every block in unoptimised code for thousands of
    /// exits (a component's first tens of thousands of calls ran several times slower).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public CpuExit Run(long instructionBudget = long.MaxValue)
    {
        long budget = instructionBudget;
        DecodedBlock? previous = null;
        while (true)
        {
            if (R(Native.NativeState.Attention) != 0)
            {
                // Cleared with a full fence before the requests are read: a request made after the
                // read sets it again, and a store of 0 cannot land after that.
                Interlocked.Exchange(ref R(Native.NativeState.Attention), 0);
            }
            if (Volatile.Read(ref _stopRequested) != 0)
            {
                Volatile.Write(ref _stopRequested, 0);
                return new CpuExit(CpuExitReason.StopRequested);
            }
            if (_halted || _interruptRequested || _interruptWindowExitRequested || _nmiRequested)
            {
                if (_nmiRequested && _replayCount == 0 && !_nmiBlocked && !_interruptShadow)
                {
                    DeliverNmi();
                    if (_exitPending)
                    {
                        return TakeExit();
                    }
                }
                else if (_interruptRequested && _replayCount == 0 && InterruptWindowOpen)
                {
                    _interruptRequested = false;
                    _halted = false;
                    DeliverEvent(_requestedVector, 0, false, _rip, EventKind.External, _rip);
                    if (_exitPending)
                    {
                        return TakeExit();
                    }
                }
                else if (_halted)
                {
                    return new CpuExit(CpuExitReason.Halt);
                }
                else if (_interruptWindowExitRequested && !_interruptRequested && _replayCount == 0 && InterruptWindowOpen)
                {
                    _interruptWindowExitRequested = false;
                    return new CpuExit(CpuExitReason.InterruptWindow);
                }
            }
            if (budget <= 0)
            {
                return new CpuExit(CpuExitReason.BudgetExhausted);
            }
            DecodedBlock? block = _executing64BitCode ? FindBlockAfter(previous, _rip) : FindLegacyBlockAfter(previous);
            previous = block;
            if (block is null)
            {
                _notRetired = false;
                if (_exceptionPending)
                {
                    DeliverPendingException(_rip);
                }
                if (_exitPending)
                {
                    return TakeExit();
                }
                continue;
            }
            bool shadow = _interruptShadow;
            _interruptShadow = false;
            int limit = shadow || _replayCount > 0 ? 1 : (int)Math.Min(block.Length, budget);
            nint compiled;
            int retired = !shadow && _replayCount == 0 && limit == block.Length && (compiled = CompiledEntry(block)) != 0
                ? RunCompiled(compiled, block, budget)
                : ExecuteBlock(block, 0, limit);
            budget -= retired;
            InstructionsRetired += (ulong)retired;
            if (!_awaitingRead)
            {
                _replayCount = 0;
            }
            _replayUsed = 0;
            if (_exceptionPending)
            {
                DeliverPendingException(_rip);
            }
            if (_exitPending)
            {
                return TakeExit();
            }
        }
    }

    /// <summary>Runs the block's instructions from index <paramref name="start"/> (RIP is that
    /// instruction's) up to index <paramref name="limit"/>; returns how many retired and leaves RIP at
    /// the next instruction to run (the faulting one after a fault).</summary>
    private int ExecuteBlock(DecodedBlock block, int start, int limit)
    {
        ref DecodedInstruction first = ref MemoryMarshal.GetArrayDataReference(block.Instructions);
        ulong blockRip = _rip - Unsafe.Add(ref first, start).Offset;
        R(BlockRipRegister) = blockRip;
        _blockBreak = false;
        for (int i = start; i < limit; i++)
        {
            ref DecodedInstruction instruction = ref Unsafe.Add(ref first, i);
            if (!ExecuteInline(ref instruction))
            {
                if (_notRetired)
                {
                    _notRetired = false;
                    _rip = blockRip + instruction.Offset;
                    return i - start;
                }
                return i + 1 - start;
            }
            if (_blockBreak)
            {
                _rip = blockRip + instruction.Offset + instruction.Length;
                return i + 1 - start;
            }
        }
        ref DecodedInstruction last = ref Unsafe.Add(ref first, limit - 1);
        // Cut short (budget, interrupt shadow) after a JMP the block continues through: RIP is its target.
        _rip = blockRip + ((last.Flags & OperandFlags.JumpedThrough) != 0 ? last.Immediate : (ulong)(last.Offset + last.Length));
        return limit - start;
    }

    /// <param name="global">Whether the block was fetched through a global translation (its jump-cache
    /// entry, and a link to it, outlive a CR3 write).</param>
    private DecodedBlock? FindBlock(ulong rip, out bool global)
    {
        global = false;
        int slot = JumpCacheSlot(rip);
        ref JumpCacheEntry entry = ref _jumpCache[slot];
        // Another RIP's block is not looked at: it is hardly ever the block at this RIP's physical
        // address (3,196 times in 4.5 million such lookups in a Debian 12 boot), and reading it
        // missed the cache (a quarter of FindBlock's profile samples sat on that read; without it
        // FindBlock's share of the boot's samples went from 4.6% to 4.4%, the wait moving on to
        // the jump-cache entry itself).
        DecodedBlock? block = entry.Rip == rip ? entry.Block : null;
        if (block is not null && block.Valid && (entry.Space == _addressSpace || entry.Space == _globalSpace))
        {
            global = entry.Space == _globalSpace;
            return block;
        }
        if (!TranslateFetch(rip, out ulong physicalPage, out byte* host, out bool globalTranslation))
        {
            return null;
        }
        ulong physical = physicalPage | (rip & 0xFFF);
        if (!IsStillMapped(block, physical))
        {
            if (!TryCachedBlock(physical, rip, out block))
            {
                return null;
            }
            block ??= ReviveBlock(physical, host) ?? DecodeBlock(rip, physical, host, 64);
            if (block is null)
            {
                return null;
            }
        }
        NoteCodePages(rip, block);
        entry.Block = block;
        entry.Rip = rip;
        entry.Space = JumpCacheSpace(globalTranslation, block);
        global = entry.Space == _globalSpace;
        _translationsCached = true;
        return block;
    }

    /// <summary>
    /// The valid block cached for <paramref name="physical"/> if it may run at <paramref name="linear"/>,
    /// else null (then it is decoded afresh). A block is found by its first page's address, but one
    /// continuing onto a second page (a single instruction across the page end) was decoded with
    /// the bytes of the page mapped after it then; where another page is mapped there now, it is
    /// not that instruction. False when fetching from that next page faulted (the fault is raised).
    /// </summary>
    private bool TryCachedBlock(ulong physical, ulong linear, out DecodedBlock? block)
    {
        if (!_blocks.TryGetValue(physical, out block) || !block.Valid)
        {
            block = null;
            return true;
        }
        if (block.SecondPhysicalPage == ulong.MaxValue)
        {
            return true;
        }
        bool fetched = TranslateFetch((linear & ~0xFFFUL) + 4096, out ulong secondPage, out _);
        if (!fetched || secondPage != block.SecondPhysicalPage)
        {
            block = null;
        }
        return fetched;
    }

    private bool TranslateFetch(ulong linear, out ulong physicalPage, out byte* host) => TranslateFetch(linear, out physicalPage, out host, out _);

    private bool TranslateFetch(ulong linear, out ulong physicalPage, out byte* host, out bool global)
    {
        ref TlbEntry entry = ref TlbLookup(_fetchTlb, linear);
        if (entry.Page == (linear & ~0xFFFUL))
        {
            physicalPage = entry.PhysicalPage;
            host = (byte*)entry.Host;
            global = entry.Global;
            return true;
        }
        global = false;
        if (!TranslatePage(_fetchTlb, linear, out physicalPage, out host))
        {
            return false;
        }
        global = _walkGlobal;
        if (host == null)
        {
            return NotImplemented("executing from guest-physical memory outside RAM");
        }
        return true;
    }

    /// <summary>Decodes the block at <paramref name="rip"/> (the linear fetch address) for a code size;
    /// <paramref name="physical"/> is the cache key: the physical address with the code size's tag.</summary>
    private DecodedBlock? DecodeBlock(ulong rip, ulong physical, byte* host, int bitness)
    {
        int pageOffset = (int)(rip & 0xFFF);
        int pageBytes = 4096 - pageOffset;
        // The window holds MaxBlockBytes from the block's start (and from a jumped-through JMP's target
        // on, fetched then), so the decoder runs out of bytes only at the page end.
        int window = Math.Min(pageBytes, MaxBlockBytes);
        new ReadOnlySpan<byte>(host + pageOffset, window).CopyTo(_fetch.Bytes);
        _fetch.Length = window;
        _fetch.Position = 0;
        int decoderIndex = bitness == 64 ? 2 : bitness == 32 ? 1 : 0;
        Decoder decoder = _decoders[decoderIndex] ??= Decoder.Create(bitness, _fetch, 0, DecoderOptions.None);
        ulong secondPage = ulong.MaxValue;
        _decodeScratch.Clear();
        while (_decodeScratch.Count < MaxBlockInstructions)
        {
            int start = _fetch.Position;
            decoder.IP = (ulong)start;
            decoder.Decode(out Instruction instruction);
            if (instruction.IsInvalid && decoder.LastError == DecoderError.NoMoreBytes)
            {
                if (_decodeScratch.Count > 0 || secondPage != ulong.MaxValue)
                {
                    // The crossing instruction starts its own block, so a fault fetching the next
                    // page belongs to it alone.
                    break;
                }
                if (!TranslateFetch((rip & ~0xFFFUL) + 4096, out secondPage, out byte* secondHost))
                {
                    return null;
                }
                new ReadOnlySpan<byte>(secondHost, 16).CopyTo(_fetch.Bytes.AsSpan(pageBytes));
                _fetch.Length = pageBytes + 16;
                _fetch.Position = start;
                continue;
            }
            var decoded = default(DecodedInstruction);
            InstructionTranslator.Translate(in instruction, ref decoded);
            ModeTranslator.Adjust(in instruction, ref decoded, bitness);
            decoded.Offset = (ushort)start;
            if (bitness == 64 && decoded.Op == Operation.Jmp && (long)decoded.Immediate >= _fetch.Position
                && (long)decoded.Immediate - _fetch.Position <= MaxJumpedThroughBytes && (long)decoded.Immediate < pageBytes)
            {
                // Decoding goes on at the target (offsets only grow, so the block cannot loop), with
                // room for the rest of the block's instructions after it fetched from the page.
                int target = (int)decoded.Immediate;
                int wanted = Math.Min(pageBytes, target + MaxBlockBytes);
                if (wanted > _fetch.Length)
                {
                    new ReadOnlySpan<byte>(host + pageOffset + _fetch.Length, wanted - _fetch.Length).CopyTo(_fetch.Bytes.AsSpan(_fetch.Length));
                    _fetch.Length = wanted;
                }
                decoded.Op = Operation.Nop;
                decoded.Flags |= OperandFlags.JumpedThrough;
                _fetch.Position = target;
            }
            _decodeScratch.Add(decoded);
            if (InstructionTranslator.EndsBlock(in decoded) || _fetch.Position >= pageBytes)
            {
                break;
            }
        }
        EndWithARealJump();
        var block = new DecodedBlock(physical, secondPage, [.. _decodeScratch], _fetch.Bytes.AsSpan(0, _fetch.Position).ToArray());
        ChargeDecodedCode(block);
        _blocks[physical] = block;
        RegisterCodePage(physical & PhysicalKeyMask & ~0xFFFUL, block);
        if (secondPage != ulong.MaxValue)
        {
            RegisterCodePage(secondPage, block);
        }
        return block;
    }

    /// <summary>A block cut short right after a JMP it was continuing through (the instruction limit, or
    /// the target's instruction crossing the page end) ends with that JMP, taken as a real one.</summary>
    private void EndWithARealJump()
    {
        var instructions = CollectionsMarshal.AsSpan(_decodeScratch);
        if (instructions.Length > 0 && (instructions[^1].Flags & OperandFlags.JumpedThrough) != 0)
        {
            instructions[^1].Op = Operation.Jmp;
            instructions[^1].Flags &= ~OperandFlags.JumpedThrough;
        }
    }

    /// <summary>
    /// Takes back a block dropped when its page was written, if the bytes it was decoded from are
    /// unchanged: the decoded form depends on nothing else. Blocks crossing onto a second page are
    /// decoded afresh (that page's translation may have changed).
    /// </summary>
    private DecodedBlock? ReviveBlock(ulong physical, byte* host)
    {
        if (!_retiredBlocks.Remove(physical, out var retired) || retired.SecondPhysicalPage != ulong.MaxValue)
        {
            return null;
        }
        int pageOffset = (int)(physical & 0xFFF);
        if (retired.Code.Length > 4096 - pageOffset || !new ReadOnlySpan<byte>(host + pageOffset, retired.Code.Length).SequenceEqual(retired.Code))
        {
            return null;
        }
        // A new object: jump-cache entries still pointing at the retired one stay invalid.
        var block = new DecodedBlock(physical, ulong.MaxValue, retired.Instructions, retired.Code) { Compiled = retired.Compiled, CompiledEntry = retired.CompiledEntry };
        if (retired.Native is { } native)
        {
            AdoptNative(block, native);
        }
        _blocks[physical] = block;
        RegisterCodePage(physical & PhysicalKeyMask & ~0xFFFUL, block);
        return block;
    }

    private void RegisterCodePage(ulong physicalPage, DecodedBlock block)
    {
        if (!_blocksByPage.TryGetValue(physicalPage, out var list))
        {
            list = [];
            _blocksByPage[physicalPage] = list;
        }
        list.Add(block);
        if (_memory.HostPage(physicalPage, out int region, out ulong pageIndex) != null && !_memory.IsCodePage(region, pageIndex))
        {
            _memory.MarkCodePage(region, pageIndex);
            FlushWriteTranslations(physicalPage);
        }
    }

    /// <summary>A write reached a page with decoded code: drop its blocks and end the running block.</summary>
    private void OnCodePageWritten(ulong physicalPage)
    {
        if (_blocksByPage.Remove(physicalPage, out var list))
        {
            foreach (var block in list)
            {
                block.Valid = false;
                ForgetNative(block);
                if (_blocks.TryGetValue(block.PhysicalStart, out var current) && ReferenceEquals(current, block))
                {
                    _blocks.Remove(block.PhysicalStart);
                    if (_retiredBlocks.Count >= MaxRetiredBlocks)
                    {
                        _retiredBlocks.Clear(); // code rewritten again and again (a JIT): keep the memory bounded
                    }
                    _retiredBlocks[block.PhysicalStart] = block;
                }
            }
        }
        _blockBreak = true;
        CallAttention();
    }
}
