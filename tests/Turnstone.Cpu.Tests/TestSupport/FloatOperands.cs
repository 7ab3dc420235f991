namespace Turnstone.Cpu.Tests.TestSupport;

/// <summary>
/// Random floating-point states biased to the edges: signed zeros, infinities, quiet and
/// signalling NaNs, denormals, the largest and smallest normals, integer-conversion boundaries
/// (2^31, 2^63: "integer indefinite"), x87 unnormals and pseudo-denormals; every MXCSR and x87
/// rounding mode, DAZ, FTZ and precision control, with all exceptions masked. Seeded.
/// </summary>
public sealed class FloatOperands(int seed)
{
    private readonly Random _random = new(seed);

    private static readonly ulong[] DoubleEdges =
    [
        0, 0x8000_0000_0000_0000, 0x7FF0_0000_0000_0000, 0xFFF0_0000_0000_0000, 0x7FF8_0000_0000_0000, 0xFFF8_0000_0000_0000,
        0x7FF0_0000_0000_0001, 0x7FF4_0000_0000_1234, 0x7FFC_0000_0000_5678, 1, 0x000F_FFFF_FFFF_FFFF, 0x8000_0000_0000_0001,
        0x0010_0000_0000_0000, 0x7FEF_FFFF_FFFF_FFFF, 0x3FF0_0000_0000_0000, 0xBFF8_0000_0000_0000, 0x3FE0_0000_0000_0000,
        0x41E0_0000_0000_0000, 0xC1E0_0000_0000_0000, 0x41DF_FFFF_FFFF_FFFF, 0xC1E0_0000_0020_0000, 0x43E0_0000_0000_0000,
        0xC3E0_0000_0000_0000, 0x43DF_FFFF_FFFF_FFFF, 0x4330_0000_0000_0001, 0x3FF8_0000_0000_0000, 0x4004_0000_0000_0000,
    ];

    private static readonly uint[] SingleEdges =
    [
        0, 0x8000_0000, 0x7F80_0000, 0xFF80_0000, 0x7FC0_0000, 0xFFC0_0000, 0x7F80_0001, 0x7FA0_1234, 0x7FE0_5678, 1, 0x007F_FFFF,
        0x8000_0001, 0x0080_0000, 0x7F7F_FFFF, 0x3F80_0000, 0xBFC0_0000, 0x3F00_0000, 0x4F00_0000, 0xCF00_0000, 0x4EFF_FFFF,
        0x5F00_0000, 0xDF00_0000, 0x5EFF_FFFF, 0x4B00_0001, 0x3FC0_0000,
    ];

    public int Next(int max) => _random.Next(max);

    public ulong Bits64() => (ulong)_random.NextInt64() ^ ((ulong)_random.Next(2) << 63);

    public ulong Double() => _random.Next(5) switch
    {
        0 or 1 => DoubleEdges[_random.Next(DoubleEdges.Length)],
        2 => Bits64(),
        3 => BitConverter.DoubleToUInt64Bits((_random.NextDouble() - 0.5) * Math.Pow(2, _random.Next(-70, 70))),
        _ => BitConverter.DoubleToUInt64Bits(_random.Next(-1000, 1000) / 8.0),
    };

    public uint Single() => _random.Next(5) switch
    {
        0 or 1 => SingleEdges[_random.Next(SingleEdges.Length)],
        2 => (uint)Bits64(),
        3 => BitConverter.SingleToUInt32Bits((float)((_random.NextDouble() - 0.5) * Math.Pow(2, _random.Next(-40, 40)))),
        _ => BitConverter.SingleToUInt32Bits(_random.Next(-1000, 1000) / 8f),
    };

    /// <summary>A 64-bit lane: two singles, one double, or integer edges.</summary>
    public ulong Lane() => _random.Next(4) switch
    {
        0 => Single() | ((ulong)Single() << 32),
        1 => new RandomOperands(_random.Next()).Value(),
        _ => Double(),
    };

    /// <summary>An 80-bit extended value (mantissa, sign and exponent).</summary>
    public (ulong Mantissa, ushort SignExponent) Extended()
    {
        switch (_random.Next(6))
        {
            case 0:
            {
                ulong d = Double();
                ulong sign = d >> 63;
                int exponent = (int)(d >> 52) & 0x7FF;
                ulong fraction = d & 0xF_FFFF_FFFF_FFFF;
                if (exponent == 0x7FF)
                {
                    return ((fraction << 11) | (1UL << 63), (ushort)((sign << 15) | 0x7FFF));
                }
                if (exponent == 0)
                {
                    return (fraction << 11, (ushort)(sign << 15)); // a denormal stays denormal-shaped
                }
                return ((fraction << 11) | (1UL << 63), (ushort)((sign << 15) | (uint)(exponent - 1023 + 16383)));
            }
            case 1:
                return (Bits64(), (ushort)_random.Next(0x10000)); // anything: unnormals, pseudo-NaNs...
            case 2:
                return (Bits64() | (1UL << 63), (ushort)((_random.Next(2) << 15) | (16383 + _random.Next(-80, 80))));
            case 3:
                return (Bits64() & ~(1UL << 63), (ushort)(_random.Next(2) << 15)); // denormals
            case 4:
                return (1UL << 63, (ushort)((_random.Next(2) << 15) | (16383 + _random.Next(0, 64)))); // powers of two, integer edges
            default:
                return ((ulong)_random.Next(-100000, 100000) << 40 | (1UL << 63), (ushort)((_random.Next(2) << 15) | (16383 + _random.Next(0, 40))));
        }
    }

    public FloatState State()
    {
        var state = new FloatState();
        var image = state.Image.AsSpan();
        // x87: every exception masked, random precision and rounding control.
        ushort fcw = (ushort)(0x037F & ~0x0F00 | (_random.Next(4) << 8) | (_random.Next(4) << 10));
        ushort fsw = (ushort)((_random.Next(8) << 11) | (_random.Next(2) == 0 ? 0 : _random.Next(0x40)) | (_random.Next(16) & 0x7) << 8);
        byte tags = _random.Next(4) == 0 ? (byte)_random.Next(256) : (byte)0xFF;
        BitConverter.TryWriteBytes(image[0..], fcw);
        BitConverter.TryWriteBytes(image[2..], fsw);
        image[4] = tags;
        uint mxcsr = 0x1F80u | (uint)(_random.Next(4) << 13) | (_random.Next(3) == 0 ? 0x40u : 0) | (_random.Next(3) == 0 ? 0x8000u : 0) |
            (_random.Next(2) == 0 ? 0 : (uint)_random.Next(0x40));
        BitConverter.TryWriteBytes(image[24..], mxcsr);
        BitConverter.TryWriteBytes(image[28..], 0xFFFFu);
        for (int r = 0; r < 8; r++)
        {
            var (mantissa, signExponent) = Extended();
            BitConverter.TryWriteBytes(image[(32 + 16 * r)..], mantissa);
            BitConverter.TryWriteBytes(image[(40 + 16 * r)..], signExponent);
        }
        for (int r = 0; r < 16; r++)
        {
            BitConverter.TryWriteBytes(image[(160 + 16 * r)..], Lane());
            BitConverter.TryWriteBytes(image[(168 + 16 * r)..], _random.Next(4) == 0 ? BitConverter.ToUInt64(image[(160 + 16 * r)..]) : Lane());
        }
        for (int g = 0; g < state.General.Length; g++)
        {
            state.General[g] = _random.Next(3) == 0 ? Double() : new RandomOperands(_random.Next()).Value();
        }
        state.Rflags = (ulong)_random.NextInt64() & DifferentialHarness.ArithmeticFlags;
        for (int offset = 0; offset < FloatState.DataBytes; offset += 8)
        {
            ulong value = _random.Next(3) switch { 0 => Lane(), 1 => Double(), _ => Single() | ((ulong)Single() << 32) };
            BitConverter.TryWriteBytes(state.Data.AsSpan(offset), value);
        }
        if (_random.Next(3) == 0)
        {
            var (mantissa, signExponent) = Extended();
            BitConverter.TryWriteBytes(state.Data.AsSpan(0), mantissa);
            BitConverter.TryWriteBytes(state.Data.AsSpan(8), signExponent);
        }
        return state;
    }
}
