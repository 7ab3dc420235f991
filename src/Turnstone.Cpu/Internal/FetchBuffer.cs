using Iced.Intel;

namespace Turnstone.Cpu.Internal;

/// <summary>
/// The bytes of the page tail a block is decoded from (plus, when an instruction crosses the page
/// end, the first bytes of the next page), as an Iced code reader that one decoder reuses.
/// </summary>
internal sealed class FetchBuffer : CodeReader
{
    public readonly byte[] Bytes = new byte[4096 + 16];
    public int Length;
    public int Position;

    public override int ReadByte() => Position < Length ? Bytes[Position++] : -1;
}
