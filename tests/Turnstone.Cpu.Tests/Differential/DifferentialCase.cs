using Iced.Intel;
using Turnstone.Cpu.Tests.TestSupport;

namespace Turnstone.Cpu.Tests.Differential;

/// <summary>Adjusts random registers before a case runs (a shift count, a zero source).</summary>
public delegate void OperandShaper(RandomOperands random, ref RegisterState.GeneralRegisters registers);

/// <summary>One instruction sequence to compare, with the flags it defines (per input, for
/// instructions whose defined flags depend on the count).</summary>
public sealed record DifferentialCase(string Name, Action<Assembler> Sequence, Func<RegisterState, ulong> ComparedFlags)
{
    public DifferentialCase(string name, Action<Assembler> sequence, ulong comparedFlags = DifferentialHarness.ArithmeticFlags)
        : this(name, sequence, _ => comparedFlags)
    {
    }

    public override string ToString() => Name;

    /// <summary>Runs <paramref name="cases"/> random inputs (shaped by <paramref name="shape"/>) natively and on the engine.</summary>
    public void Check(int cases, int seed, OperandShaper? shape = null)
    {
        using var harness = new DifferentialHarness(Sequence);
        var random = new RandomOperands(seed);
        for (int n = 0; n < cases; n++)
        {
            var input = random.State();
            shape?.Invoke(random, ref input.Registers);
            harness.Compare(input, ComparedFlags(input));
        }
    }
}
