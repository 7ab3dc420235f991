namespace Turnstone.Cpu.Internal;

internal static class RflagsBits
{
    public const ulong Cf = 1UL << 0;
    public const ulong Fixed = 1UL << 1;
    public const ulong Pf = 1UL << 2;
    public const ulong Af = 1UL << 4;
    public const ulong Zf = 1UL << 6;
    public const ulong Sf = 1UL << 7;
    public const ulong Tf = 1UL << 8;
    public const ulong If = 1UL << 9;
    public const ulong Df = 1UL << 10;
    public const ulong Of = 1UL << 11;
    public const ulong IoplMask = 3UL << 12;
    public const int IoplShift = 12;
    public const ulong Nt = 1UL << 14;
    public const ulong Rf = 1UL << 16;
    public const ulong Vm = 1UL << 17;
    public const ulong Ac = 1UL << 18;
    public const ulong Vif = 1UL << 19;
    public const ulong Vip = 1UL << 20;
    public const ulong Id = 1UL << 21;

    /// <summary>The six flags arithmetic computes (kept lazily).</summary>
    public const ulong Arithmetic = Cf | Pf | Af | Zf | Sf | Of;

    /// <summary>Every flag software can hold a value in (others read as 0, bit 1 as 1).</summary>
    public const ulong Defined = Arithmetic | Tf | If | Df | IoplMask | Nt | Rf | Vm | Ac | Vif | Vip | Id;
}
