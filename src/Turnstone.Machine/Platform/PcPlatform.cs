using Turnstone.Acpi.Description;
using Turnstone.Devices.Legacy;
using Turnstone.Devices.Pci;
using Turnstone.PciRoot;

namespace Turnstone.Machine.Platform;

/// <summary>
/// The PC the monitor builds, stated once: the legacy devices at their ISA ports and IRQs, the
/// monitor's own ports, the PCI root complex, the host bridge, and a virtio function per disk
/// followed by the console. <see cref="LinuxMachine"/> builds the ACPI tables from
/// <see cref="Builder"/> before the VM exists, then puts each device instance where the same
/// record says.
/// </summary>
internal sealed class PcPlatform
{
    /// <summary>Disks take slots 1, 2, ... (so the first disk is /dev/vda), the console the next one.</summary>
    public const byte FirstVirtioSlot = 1;

    /// <summary>The 16550's eight registers.</summary>
    private const ulong UartRegisters = 8;

    /// <summary>IRQ 9, where PC chipsets (PIIX4, ICH) put the SCI.</summary>
    private const byte SciIrq = 9;

    private PcPlatform(PlatformBuilder builder, int diskCount, bool bios)
    {
        Builder = builder;
        Com1 = builder.Add(new PlatformDevice
        {
            Name = "COM1",
            Ports = [new AddressWindow(Serial16550.Com1Port, UartRegisters)],
            Irq = (byte)Serial16550.Com1Irq,
            Acpi = new AcpiRole.SystemBusDevice(HardwareId: "PNP0501", UniqueId: 0),
        });
        KeyboardController = builder.Add(new PlatformDevice
        {
            Name = "i8042",
            // 0x60 and 0x64 only: port 0x61 belongs to the PIT (KVM's in-kernel one, or the software engine's).
            Ports = [new AddressWindow(I8042Controller.DataPort, 1), new AddressWindow(I8042Controller.CommandPort, 1)],
            Acpi = new AcpiRole.KeyboardController(),
        });
        CmosRtc = builder.Add(new PlatformDevice
        {
            Name = "CMOS RTC",
            Ports = [new AddressWindow(Devices.Legacy.CmosRtc.BasePort, Devices.Legacy.CmosRtc.PortSpan)],
            Acpi = new AcpiRole.CmosRtc(),
        });
        PostCodePort = builder.Add(new PlatformDevice
        {
            Name = "POST code port",
            Ports = [new AddressWindow(Devices.Legacy.PostCodePort.Port, 1)],
            Acpi = new AcpiRole.NotDescribed("every PC has port 0x80; Linux writes it as an I/O delay without looking it up"),
        });
        PowerManagement = builder.Add(new PlatformDevice
        {
            Name = "ACPI PM registers",
            Ports = [new AddressWindow(AcpiPowerManagement.BasePort, AcpiPowerManagement.PortSpan)],
            Acpi = new AcpiRole.PowerManagement(
                EventBlockOffset: AcpiPowerManagement.EventBlock - AcpiPowerManagement.BasePort,
                ControlBlockOffset: AcpiPowerManagement.ControlBlock - AcpiPowerManagement.BasePort,
                ResetRegisterOffset: AcpiPowerManagement.ResetRegister - AcpiPowerManagement.BasePort,
                ResetValue: AcpiPowerManagement.ResetValue,
                SciIrq: SciIrq,
                SoftOffSleepType: AcpiPowerManagement.SoftOffSleepType),
        });
        BootTimer = builder.Add(new PlatformDevice
        {
            Name = "boot timer",
            Ports = [new AddressWindow(Devices.Legacy.BootTimer.Port, 1)],
            Mmio = [new AddressWindow(Devices.Legacy.BootTimer.MmioAddress, 1)],
            Acpi = new AcpiRole.NotDescribed("the monitor's own stopwatch: only guests built to write it use it, and they know where it is"),
        });

        if (bios)
        {
            BiosFirmwareCallPort = builder.Add(new PlatformDevice
            {
                Name = "BIOS firmware call port",
                Ports = [new AddressWindow(Firmware.Bios.BiosStubLayout.FirmwareCallPort, 1)],
                Acpi = new AcpiRole.NotDescribed("the BIOS's own trap stubs write it; nothing else should"),
            });
        }

        HostBridge = builder.AddPciFunction(PciHostBridge.Address.Device, intaGsi: null);
        Disks = Enumerable.Range(FirstVirtioSlot, diskCount).Select(AddVirtioFunction).ToList();
        Console = AddVirtioFunction(FirstVirtioSlot + diskCount);
    }

    public PlatformBuilder Builder { get; }

    public PlatformDevice Com1 { get; }

    public PlatformDevice KeyboardController { get; }

    public PlatformDevice CmosRtc { get; }

    public PlatformDevice PostCodePort { get; }

    public PlatformDevice PowerManagement { get; }

    public PlatformDevice BootTimer { get; }

    /// <summary>The port the BIOS trap stubs write, on a machine that boots through the BIOS; null otherwise.</summary>
    public PlatformDevice? BiosFirmwareCallPort { get; }

    public PciFunctionSlot HostBridge { get; }

    /// <summary>One virtio-blk function per disk, in the order of the disks.</summary>
    public IReadOnlyList<PciFunctionSlot> Disks { get; }

    /// <summary>The virtio-console function (the guest's hvc0).</summary>
    public PciFunctionSlot Console { get; }

    /// <summary>The layout of a PC with <paramref name="diskCount"/> virtio disks, and with the BIOS's firmware call port when <paramref name="bios"/>.</summary>
    public static PcPlatform Lay(int diskCount, bool bios = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(diskCount);
        var builder = new PlatformBuilder(
            new PciRootLayout(
                Ecam: PlatformLayout.EcamWindow,
                ConfigurationPorts: new AddressWindow(PciConfigPorts.BasePort, PciConfigPorts.PortCount),
                Mmio32Window: new AddressWindow(PlatformLayout.PciMmio32Base, PlatformLayout.PciMmio32Size),
                IoBarWindow: PlatformLayout.PciIoBarWindow),
            new IoApicDescription(PlatformLayout.IoApicId, PlatformLayout.IoApicAddress, GsiBase: 0));
        return new PcPlatform(builder, diskCount, bios);
    }

    private PciFunctionSlot AddVirtioFunction(int slot) => Builder.AddPciFunction((byte)slot, PlatformLayout.GsiOfSlot(slot));
}
