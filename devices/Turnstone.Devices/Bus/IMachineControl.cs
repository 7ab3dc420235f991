namespace Turnstone.Devices.Bus;

/// <summary>What a device can ask of the machine it is in.</summary>
public interface IMachineControl
{
    /// <summary>The guest asked for a reset (keyboard controller, reset register).</summary>
    void RequestReset(string source);

    /// <summary>The guest powered off.</summary>
    void RequestPowerOff(string source);
}
