using static Iced.Intel.AssemblerRegisters;
using Turnstone.Cpu.Tests.TestSupport;

namespace Turnstone.Cpu.Tests.Differential;

/// <summary>The judge itself: both sides really run the instruction.</summary>
public sealed class HarnessSanityTests
{
    [Fact]
    public void Both_sides_execute_the_instruction()
    {
        using var harness = new DifferentialHarness(a => a.add(rax, rbx));
        var input = default(RegisterState);
        input.Registers[0] = ulong.MaxValue;
        input.Registers[3] = 2;
        var native = harness.RunNative(input);
        var (emulated, vector) = harness.RunEmulated(input);
        Assert.Null(vector);
        Assert.Equal(1UL, native.Registers[0]);
        Assert.Equal(1UL, emulated.Registers[0]);
        Assert.Equal(1UL, native.Rflags & DifferentialHarness.Cf);
        Assert.Equal(1UL, emulated.Rflags & DifferentialHarness.Cf);
    }
}
