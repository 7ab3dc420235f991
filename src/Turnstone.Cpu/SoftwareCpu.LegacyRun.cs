using System.Runtime.CompilerServices;
using Turnstone.Cpu.Internal;

namespace Turnstone.Cpu;

// Running code outside 64-bit mode (real mode, 16/32-bit protected mode, compatibility mode).
// RIP holds the offset in CS (EIP or IP); instructions are fetched at CS.base + EIP. Blocks are
// decoded with a decoder of CS's size and cached under the physical address tagged with that size,
// so a block decoded for one code size never runs in another; the jump cache is keyed the same way
// (the tag makes the key a non-canonical address, which no 64-bit RIP is).
public sealed unsafe partial class SoftwareCpu
{
    /// <summary>Strips the code-size tag from a block key.</summary>
    private const ulong PhysicalKeyMask = (1UL << 60) - 1;

    /// <summary>The code size instructions are decoded with: 64 in 64-bit mode, else CS.D (32 or 16).</summary>
    private int CodeBitness { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => _executing64BitCode ? 64 : _segments[(int)SegmentName.Cs].DefaultBig ? 32 : 16; }

    private static ulong BitnessTag(int bitness) => bitness == 32 ? 1UL << 60 : 2UL << 60;

    /// <summary>The block at CS:EIP in 16/32-bit code.</summary>
    private DecodedBlock? FindLegacyBlock()
    {
        int bitness = CodeBitness;
        ref readonly SegmentRegister cs = ref _segments[(int)SegmentName.Cs];
        _rip &= bitness == 32 ? 0xFFFF_FFFFUL : 0xFFFFUL;
        if (_rip > cs.Limit)
        {
            // Fetching past CS's limit (checked at block starts; a block running over the limit is not).
            GeneralProtection();
            return null;
        }
        ulong linear = (cs.Base + _rip) & 0xFFFF_FFFFUL;
        ulong tag = BitnessTag(bitness);
        ulong key = linear | tag;
        int slot = JumpCacheSlot(linear);
        ref JumpCacheEntry entry = ref _jumpCache[slot];
        DecodedBlock? block = entry.Rip == key ? entry.Block : null; // another RIP's block is not looked at, as in FindBlock
        if (block is not null && block.Valid && entry.Space == _addressSpace)
        {
            return block;
        }
        if (!TranslateFetch(linear, out ulong physicalPage, out byte* host))
        {
            return null;
        }
        ulong physical = (physicalPage | (linear & 0xFFF)) | tag;
        if (!IsStillMapped(block, physical))
        {
            if (!TryCachedBlock(physical, linear, out block))
            {
                return null;
            }
            block ??= ReviveBlock(physical, host) ?? DecodeBlock(linear, physical, host, bitness);
            if (block is null)
            {
                return null;
            }
        }
        NoteCodePages(linear, block);
        entry.Block = block;
        entry.Rip = key;
        entry.Space = _addressSpace; // legacy paging keeps no global translations
        _translationsCached = true;
        return block;
    }
}
