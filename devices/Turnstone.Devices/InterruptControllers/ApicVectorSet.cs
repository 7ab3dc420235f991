using System.Numerics;

namespace Turnstone.Devices.InterruptControllers;

/// <summary>
/// A 256-bit set of interrupt vectors laid out as the local APIC's IRR, ISR and TMR are: eight
/// 32-bit words, word <c>i</c> holding vectors 32i to 32i+31 (the register at offset base + 0x10*i).
/// </summary>
internal sealed class ApicVectorSet
{
    private readonly uint[] _words = new uint[8];

    public bool Contains(int vector) => (_words[vector >> 5] & 1u << (vector & 31)) != 0;

    public void Add(int vector) => _words[vector >> 5] |= 1u << (vector & 31);

    public void Remove(int vector) => _words[vector >> 5] &= ~(1u << (vector & 31));

    public void Set(int vector, bool present)
    {
        if (present)
        {
            Add(vector);
        }
        else
        {
            Remove(vector);
        }
    }

    public uint Word(int index) => _words[index];

    /// <summary>The highest vector in the set (the one of highest priority), or -1 when empty.</summary>
    public int Highest()
    {
        for (int index = 7; index >= 0; index--)
        {
            if (_words[index] != 0)
            {
                return index * 32 + 31 - BitOperations.LeadingZeroCount(_words[index]);
            }
        }
        return -1;
    }

    public void Clear() => Array.Clear(_words);
}
