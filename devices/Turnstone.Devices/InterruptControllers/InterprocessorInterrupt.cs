namespace Turnstone.Devices.InterruptControllers;

/// <summary>
/// An IPI a local APIC sent through its ICR that is (also) meant for other processors: what a
/// multi-vCPU machine delivers to the other local APICs. With one vCPU nobody else receives it.
/// </summary>
public readonly record struct InterprocessorInterrupt(
    ApicMessage Message,
    DestinationShorthand Shorthand,
    byte SourceApicId,
    bool LevelAssert);
