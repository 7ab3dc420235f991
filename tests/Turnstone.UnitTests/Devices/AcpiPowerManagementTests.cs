using Turnstone.Devices.Bus;
using Turnstone.Devices.Legacy;

namespace Turnstone.UnitTests.Devices;

public sealed class AcpiPowerManagementTests
{
    private const ulong Status = 0, Enable = 2, Control = 4, Reset = 6;

    private sealed class Machine : IMachineControl
    {
        public List<string> Resets { get; } = [];
        public List<string> PowerOffs { get; } = [];

        public void RequestReset(string source) => Resets.Add(source);

        public void RequestPowerOff(string source) => PowerOffs.Add(source);
    }

    private readonly Machine _machine = new();
    private readonly AcpiPowerManagement _pm;

    public AcpiPowerManagementTests() => _pm = new AcpiPowerManagement(_machine);

    private ushort Read16(ulong offset)
    {
        var data = new byte[2];
        _pm.Read(offset, data);
        return BitConverter.ToUInt16(data);
    }

    private void Write16(ulong offset, ushort value) => _pm.Write(offset, BitConverter.GetBytes(value));

    [Fact]
    public void Slp_en_with_the_s5_sleep_type_powers_off()
    {
        Write16(Control, (ushort)(5 << 10 | 1 << 13)); // what Linux writes for \_S5_ = {5, ...}

        var source = Assert.Single(_machine.PowerOffs);
        Assert.Contains("S5", source);
        Assert.Empty(_machine.Resets);
    }

    [Fact]
    public void Sleep_type_alone_or_another_sleep_state_does_not_power_off()
    {
        Write16(Control, 5 << 10);           // SLP_TYP without SLP_EN
        Write16(Control, 3 << 10 | 1 << 13); // S3: not offered by the DSDT

        Assert.Empty(_machine.PowerOffs);
    }

    [Fact]
    public void Sci_en_reads_as_set_and_slp_en_reads_as_zero()
    {
        Assert.Equal(1, Read16(Control) & 1);

        Write16(Control, 4 << 10 | 1 << 13);

        ushort control = Read16(Control);
        Assert.Equal(1, control & 1);
        Assert.Equal(0, control & (1 << 13));
        Assert.Equal(4, (control >> 10) & 7);
    }

    [Fact]
    public void The_control_block_written_bytewise_acts_on_the_completed_value()
    {
        _pm.Write(Control + 1, [(byte)((5 << 10 | 1 << 13) >> 8)]);

        Assert.Single(_machine.PowerOffs);
    }

    [Fact]
    public void The_reset_register_resets_only_with_its_value()
    {
        _pm.Write(Reset, [0x00]);
        Assert.Empty(_machine.Resets);

        _pm.Write(Reset, [AcpiPowerManagement.ResetValue]);

        Assert.Single(_machine.Resets);
    }

    [Fact]
    public void Enable_bits_are_kept_and_status_bits_are_write_one_to_clear()
    {
        Write16(Enable, 0x0120);
        Assert.Equal(0x0120, Read16(Enable));

        Write16(Status, 0xFFFF); // nothing is set, so clearing everything leaves zero
        Assert.Equal(0, Read16(Status));
    }

    [Fact]
    public void Accesses_past_the_block_read_all_ones_and_are_ignored()
    {
        var data = new byte[4];
        _pm.Read(5, data);

        Assert.Equal([0x00, 0x00, 0xFF, 0xFF], data); // high byte of PM1a_CNT, reset register, then beyond
        _pm.Write(7, [0xFF, 0xFF]);
        Assert.Empty(_machine.PowerOffs);
        Assert.Empty(_machine.Resets);
    }
}
