using System.Text;
using Turnstone.Engine;
using Turnstone.Machine;
using Xunit.Abstractions;

namespace Turnstone.IntegrationTests.Bios;

/// <summary>
/// The BIOS boot path end to end: a disk with no kernel boots through POST, INT 19h and the boot
/// sector (<see cref="BootSectorGuest"/>), which uses INT 13h and the timer interrupt and powers
/// off; a disk without a boot signature stops the machine with "no bootable disk".
/// </summary>
[Trait("Category", "Integration")]
public sealed class BiosBootTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("turnstone-bios-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Theory, OnSoftEngine, OnBiosKvm]
    public void A_boot_sector_reads_its_disk_through_int_13h_sees_the_timer_tick_and_powers_off(EngineChoice engine)
    {
        var (exit, console) = Boot(BootSectorGuest.Image(), engine);

        Assert.Equal(MachineExitKind.PowerOff, exit.Kind);
        Assert.Equal(
            $"{BootSectorGuest.Greeting}\ndl=80h ok\nedd ok\n{BootSectorGuest.SecondSectorText}\nticks ok\n",
            console);
    }

    [Theory, OnSoftEngine, OnBiosKvm]
    public void A_disk_without_a_boot_signature_stops_the_machine_with_no_bootable_disk(EngineChoice engine)
    {
        var (exit, console) = Boot(BootSectorGuest.Image(bootSignature: false), engine);

        Assert.Equal(MachineExitKind.Error, exit.Kind);
        Assert.Contains("no bootable disk", exit.Reason);
        Assert.Contains("no bootable disk", console);
    }

    private (MachineExit Exit, string Console) Boot(byte[] image, EngineChoice engine)
    {
        string disk = Path.Combine(_directory.FullName, "disk.img");
        File.WriteAllBytes(disk, image);
        var console = new MemoryStream();
        var log = new StringWriter();
        var machine = LinuxMachine.Prepare(new MachineConfig
        {
            Disks = [new DiskConfig(disk)],
            MemoryBytes = 64ul << 20,
            ConsoleOutput = console,
            Engine = engine,
            Log = log,
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var exit = machine.Run(timeout.Token);
        string text = Encoding.ASCII.GetString(console.ToArray());
        output.WriteLine($"{machine.KernelDescription}\n{exit.Reason}\n{machine.Summary}\n--- monitor ---\n{log}\n--- guest console ---\n{text}");
        if (exit.Report is not null)
        {
            output.WriteLine(exit.Report);
        }
        return (exit, text);
    }
}
