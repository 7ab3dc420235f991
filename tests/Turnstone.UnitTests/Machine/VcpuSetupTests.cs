using Turnstone.Firmware.X86;
using Turnstone.Machine;

namespace Turnstone.UnitTests.Machine;

/// <summary>The KVM segment registers each entry mode gets; the 64-bit ones are what the Linux path always had.</summary>
public sealed class VcpuSetupTests
{
    [Fact]
    public void Long_mode_code_is_64_bit()
    {
        var code = VcpuSetup.Segment(0x10, code: true, longMode: true);

        Assert.Equal((1, 0, 0xB), (code.L, code.Db, code.Type));
    }

    [Fact]
    public void Protected_mode_code_and_data_are_flat_32_bit()
    {
        var code = VcpuSetup.Segment(FlatProtectedMode.CodeSelector, code: true, longMode: false);
        var data = VcpuSetup.Segment(FlatProtectedMode.DataSelector, code: false, longMode: false);

        Assert.Equal((0ul, 0xFFFF_FFFFu, (byte)0, (byte)1, (byte)1, (byte)0xB), (code.Base, code.Limit, code.L, code.Db, code.G, code.Type));
        Assert.Equal((0ul, 0xFFFF_FFFFu, (byte)0, (byte)1, (byte)3), (data.Base, data.Limit, data.L, data.Db, data.Type));
    }

    [Fact]
    public void Task_register_is_a_busy_32_bit_TSS()
    {
        var tr = VcpuSetup.TaskSegment(FlatProtectedMode.TaskSelector);

        Assert.Equal((FlatProtectedMode.TaskSelector, 0x67u, (byte)0xB, (byte)1, (byte)0), (tr.Selector, tr.Limit, tr.Type, tr.Present, tr.S));
    }
}
