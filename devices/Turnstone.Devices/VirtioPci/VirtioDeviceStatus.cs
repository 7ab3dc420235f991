namespace Turnstone.Devices.VirtioPci;

/// <summary>The device status field (virtio 1.2, 2.1). Writing 0 resets the device.</summary>
[Flags]
public enum VirtioDeviceStatus : byte
{
    None = 0,
    Acknowledge = 1,
    Driver = 2,
    DriverOk = 4,
    FeaturesOk = 8,

    /// <summary>Set by the device only: it failed and must be reset. Driver writes cannot set or clear it.</summary>
    DeviceNeedsReset = 64,

    Failed = 128,
}
