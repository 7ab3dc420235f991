namespace Turnstone.Cpu.Tests.TestSupport;

/// <summary>Register states with operands biased to the edges (0, 1, all ones, sign boundaries)
/// and random arithmetic flags; seeded, so a failure repeats.</summary>
public sealed class RandomOperands(int seed)
{
    private readonly Random _random = new(seed);

    private static readonly ulong[] Edges =
    [
        0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
        0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, ulong.MaxValue, ulong.MaxValue - 1,
    ];

    public ulong Value()
    {
        return _random.Next(4) switch
        {
            0 => Edges[_random.Next(Edges.Length)],
            1 => (ulong)_random.NextInt64() ^ ((ulong)_random.Next(2) << 63),
            2 => (ulong)_random.Next(0, 70),
            _ => Edges[_random.Next(Edges.Length)] + (ulong)_random.Next(-2, 3),
        };
    }

    public RegisterState State()
    {
        var state = default(RegisterState);
        for (int i = 0; i < 16; i++)
        {
            state.Registers[i] = Value();
        }
        state.Rflags = (ulong)_random.NextInt64() & DifferentialHarness.ArithmeticFlags;
        return state;
    }

    public int Next(int max) => _random.Next(max);
}
