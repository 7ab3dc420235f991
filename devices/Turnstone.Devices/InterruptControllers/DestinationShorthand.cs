namespace Turnstone.Devices.InterruptControllers;

/// <summary>The ICR's destination shorthand (bits 19:18).</summary>
public enum DestinationShorthand
{
    None = 0,
    Self = 1,
    AllIncludingSelf = 2,
    AllExcludingSelf = 3,
}
