using Turnstone.Acpi.Description;
using Turnstone.Acpi.Tables;
using Turnstone.Devices.Pci;
using Turnstone.Firmware.LinuxBoot;
using Turnstone.Machine;
using Turnstone.Machine.Platform;
using Turnstone.UnitTests.Acpi;
using Turnstone.UnitTests.Pci;

namespace Turnstone.UnitTests.Machine.Platform;

/// <summary>
/// The PC as the guest is told about it and as its buses are: every device's bus registration
/// is checked against its description in the tables, decoded by ACPICA (acpiexec for the AML,
/// iasl for the FADT, MADT and MCFG), and every address on the buses belongs to a recorded device.
/// </summary>
public sealed class PcPlatformTests
{
    private const int Disks = 2;

    private readonly PcPlatform _pc = PcPlatform.Lay(Disks);
    private readonly Dictionary<uint, RecordingInterruptLine> _lines = [];
    private readonly Dictionary<PciFunctionSlot, TestEndpoint> _functions = [];
    private readonly PlatformBuses _buses;
    private readonly AcpiTableSet _tables;

    public PcPlatformTests()
    {
        _tables = AcpiFirmware.Build(_pc.Builder.Describe(vcpus: 1), E820Map.FromRam(GuestRamLayout.For(256ul << 20)));
        _buses = new PlatformBuses(_pc.Builder, gsi => _lines[gsi] = new RecordingInterruptLine());
        foreach (var device in _pc.Builder.Devices)
        {
            if (device.Irq is null)
            {
                _buses.Attach(device, new RecordingBusDevice());
            }
            else
            {
                _buses.AttachWithIrq(device, line => new RecordingBusDevice(line));
            }
        }
        _buses.Pci.Attach(_pc.HostBridge, new PciHostBridge());
        foreach (var slot in _pc.Disks.Append(_pc.Console))
        {
            _functions[slot] = new TestEndpoint(new RecordingMsiSink());
            _buses.Pci.Attach(slot, _functions[slot]);
        }
        _buses.EnsureEveryDeviceAttached();
    }

    private DataTableListing Listing(AcpicaWorkspace workspace, string signature) =>
        DataTableListing.Parse(Iasl.AssertRoundTrips(workspace, signature.ToLowerInvariant() + ".aml", _tables.Table(signature).Span));

    private static bool Covers(PlatformDevice device, ulong port) => device.Ports.Any(r => r.Base <= port && port <= r.Last);

    [Fact]
    public void The_layout_is_the_PC_the_README_describes()
    {
        Assert.Equal(["COM1", "i8042", "CMOS RTC", "POST code port", "ACPI PM registers", "boot timer"], _pc.Builder.Devices.Select(d => d.Name));
        Assert.Equal([(0, null), (1, 16), (2, 17), (3, 18)], _pc.Builder.PciFunctions.Select(f => ((int)f.Device, (int?)f.IntaGsi)));
        Assert.Equal(3, _pc.Console.Device);
    }

    [Fact]
    public void Every_bus_registration_has_its_ACPI_description()
    {
        using var workspace = new AcpicaWorkspace();
        var fadt = Listing(workspace, "FACP");
        var madt = Listing(workspace, "APIC");
        var mcfg = Listing(workspace, "MCFG");
        var namespaceDevices = _pc.Builder.Devices.Where(d => d.Acpi is AcpiRole.SystemBusDevice).ToList();
        Assert.NotEmpty(namespaceDevices);
        workspace.Write("dsdt.aml", _tables.Table("DSDT").Span);
        workspace.Write("ssdt.aml", _tables.Table("SSDT").Span);
        string commands = string.Join("; ", namespaceDevices.Select(d => $"resources \\_SB.{d.Name}").Append("resources \\_SB.PCI0").Append("resources \\_SB.PCI0.RES0"));

        Acpiexec.Run(workspace, commands, "dsdt.aml", "ssdt.aml").Check(transcript =>
        {
            foreach (var device in _pc.Builder.Devices)
            {
                foreach (var range in device.Ports)
                {
                    Assert.True(_buses.Ports.TryResolve(range.Base, out _, out _) && _buses.Ports.TryResolve(range.Last, out _, out _), device.Name);
                }
                var bootFlags = fadt.Named("Boot Flags (decoded below)").Flags;
                switch (device.Acpi)
                {
                    case AcpiRole.SystemBusDevice:
                        var resources = transcript.CurrentResources($"\\_SB.{device.Name}");
                        Assert.Equal(device.Ports.Select(r => (r.Base, r.Size)),
                            resources.Where(r => r.Kind == "I/O Resource").Select(r => (r.Number("Address Minimum"), r.Number("Address Length"))));
                        Assert.Equal(device.Mmio.Select(r => (r.Base, r.Size)),
                            resources.Where(r => r.Kind == "32-Bit Fixed Memory Range Resource").Select(r => (r.Number("Address"), r.Number("Address Length"))));
                        Assert.Equal(device.Irq is { } irq ? [irq.ToString()] : [],
                            resources.Where(r => r.Kind == "IRQ Resource").Select(r => r.Fields["Interrupt List"]));
                        break;
                    case AcpiRole.KeyboardController:
                        Assert.Equal("1", bootFlags["8042 Present on ports 60/64 (V2)"]);
                        Assert.True(Covers(device, 0x60) && Covers(device, 0x64));
                        break;
                    case AcpiRole.CmosRtc:
                        Assert.Equal("0", bootFlags["CMOS RTC Not Present (V5)"]);
                        Assert.True(Covers(device, 0x70) && Covers(device, 0x71));
                        break;
                    case AcpiRole.PowerManagement pm:
                        ulong events = fadt.Named("PM1A Event Block Address").Number, control = fadt.Named("PM1A Control Block Address").Number;
                        Assert.True(Covers(device, events) && Covers(device, events + fadt.Named("PM1 Event Block Length").Number - 1));
                        Assert.True(Covers(device, control) && Covers(device, control + fadt.Named("PM1 Control Block Length").Number - 1));
                        Assert.True(Covers(device, fadt.At(120).Number), "RESET_REG");
                        Assert.Equal(pm.SciIrq, fadt.Named("SCI Interrupt").Number);
                        var sciOverride = Assert.Single(madt.Subtables(), s => s[0].Value.Contains("[Interrupt Source Override]", StringComparison.Ordinal));
                        Assert.Equal(((ulong)pm.SciIrq, (ulong)pm.SciIrq), (sciOverride.Single(f => f.Name == "Source").Number, sciOverride.Single(f => f.Name == "Interrupt").Number));
                        Assert.Equal("3", sciOverride.Single(f => f.Name == "Flags (decoded below)").Flags["Trigger Mode"]);
                        break;
                    case AcpiRole.NotDescribed quiet:
                        Assert.False(string.IsNullOrWhiteSpace(quiet.Reason));
                        break;
                    default:
                        Assert.Fail($"{device.Name}: no check for {device.Acpi}");
                        break;
                }
            }

            // The root complex: configuration ports in PCI0's _CRS, ECAM in the MCFG and reserved by RES0.
            var root = _pc.Builder.PciRoot;
            Assert.True(_buses.Ports.TryResolve(root.ConfigurationPorts.Base, out var configPorts, out _));
            Assert.IsType<PciConfigPorts>(configPorts);
            var claimed = Assert.Single(transcript.CurrentResources("\\_SB.PCI0"), r => r.Kind == "I/O Resource");
            Assert.Equal((root.ConfigurationPorts.Base, root.ConfigurationPorts.Size), (claimed.Number("Address Minimum"), claimed.Number("Address Length")));
            Assert.True(_buses.Mmio.TryResolve(root.Ecam.Last, out var ecam, out _));
            Assert.IsType<PciEcam>(ecam);
            Assert.Equal(root.Ecam.Base, mcfg.Named("Base Address").Number);
            Assert.Equal((ulong)root.LastBus, mcfg.Named("End Bus Number").Number);
            var reserved = transcript.CurrentResources("\\_SB.PCI0.RES0")[0];
            Assert.Equal((root.Ecam.Base, root.Ecam.Size), (reserved.Number("Address"), reserved.Number("Address Length")));

            // Each function's INTA arrives on the GSI its _PRT entry names, and only functions with a pin have one.
            var routes = transcript.RoutingTable("\\_SB.PCI0").ToDictionary(r => (byte)(r.Number("Address") >> 16), r => (uint)r.Number("Source Index"));
            Assert.Equal(_functions.Keys.Select(f => f.Device).Order(), routes.Keys.Order());
            foreach (var (slot, function) in _functions)
            {
                function.Interrupt(true);
                Assert.True(_lines.TryGetValue(routes[slot.Device], out var line) && line.Level, $"slot {slot.Device}: INTA did not reach GSI {routes[slot.Device]}");
                function.Interrupt(false);
            }
        });
    }

    [Fact]
    public void Nothing_is_on_the_buses_that_the_record_does_not_hold()
    {
        var root = _pc.Builder.PciRoot;
        for (ulong port = 0; port <= ushort.MaxValue; port++)
        {
            if (_buses.Ports.TryResolve(port, out _, out _))
            {
                bool recorded = _pc.Builder.Devices.Any(d => Covers(d, port))
                    || (root.ConfigurationPorts.Base <= port && port <= root.ConfigurationPorts.Last);
                Assert.True(recorded, $"port 0x{port:x} is on the bus but in no record");
            }
        }
        // Page by page through the 32-bit space: BARs stay off the bus until the guest enables decoding.
        for (ulong page = 0; page < 1ul << 32; page += 0x1000)
        {
            if (_buses.Mmio.TryResolve(page, out _, out _))
            {
                bool recorded = _pc.Builder.Devices.Any(d => d.Mmio.Any(r => r.Base <= page && page <= r.Last))
                    || (root.Ecam.Base <= page && page <= root.Ecam.Last);
                Assert.True(recorded, $"MMIO 0x{page:x} is on the bus but in no record");
            }
        }
    }
}
