using Turnstone.Devices.Pci;
using static Turnstone.Devices.Pci.PciConfigRegisters;

namespace Turnstone.UnitTests.Pci;

public sealed class PciInterruptTests
{
    private readonly PciTestRig _rig = new();
    private readonly RecordingInterruptLine _line = new();

    public PciInterruptTests() => _rig.Endpoint.ConnectInterrupt(_line);

    private void SetCommand(PciCommand command) => _rig.EcamWrite(PciTestRig.EndpointAddress, Command, (uint)command, 2);

    [Fact]
    public void Intx_drives_the_line_and_the_status_bit()
    {
        _rig.Endpoint.Interrupt(true);
        Assert.True(_line.Level);
        Assert.True(_rig.Endpoint.Config.Status.HasFlag(PciStatus.InterruptStatus));

        _rig.Endpoint.Interrupt(true); // level already high: no second edge
        Assert.Single(_line.Levels);

        _rig.Endpoint.Interrupt(false);
        Assert.Equal([true, false], _line.Levels);
        Assert.False(_rig.Endpoint.Config.Status.HasFlag(PciStatus.InterruptStatus));
    }

    [Fact]
    public void Interrupt_disable_holds_the_line_low_but_not_the_status()
    {
        SetCommand(PciCommand.InterruptDisable);
        _rig.Endpoint.Interrupt(true);
        Assert.Empty(_line.Levels);
        Assert.True(_rig.Endpoint.Config.Status.HasFlag(PciStatus.InterruptStatus));

        SetCommand(PciCommand.None);
        Assert.Equal([true], _line.Levels);

        SetCommand(PciCommand.InterruptDisable | PciCommand.MemorySpace);
        Assert.Equal([true, false], _line.Levels);
    }

    [Fact]
    public void Connecting_is_once_and_only_for_functions_with_a_pin()
    {
        Assert.Throws<InvalidOperationException>(() => _rig.Endpoint.ConnectInterrupt(new RecordingInterruptLine()));
        Assert.Throws<InvalidOperationException>(() => _rig.HostBridge.ConnectInterrupt(new RecordingInterruptLine()));
    }

    [Fact]
    public void A_line_connected_late_picks_up_a_pending_level()
    {
        var rig = new PciTestRig();
        rig.Endpoint.Interrupt(true);
        var line = new RecordingInterruptLine();
        rig.Endpoint.ConnectInterrupt(line);
        Assert.Equal([true], line.Levels);
    }
}
