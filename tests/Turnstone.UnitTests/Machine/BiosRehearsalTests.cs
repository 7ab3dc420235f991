using Turnstone.Firmware.Bios;
using Turnstone.Machine.Bios;

namespace Turnstone.UnitTests.Machine;

/// <summary>The rehearsal that compiles the BIOS's code before a boot: its calls must reach the services, or it warms nothing.</summary>
public sealed class BiosRehearsalTests
{
    [Fact]
    public void Every_rehearsed_call_is_handled_and_the_assembled_rom_is_handed_on()
    {
        var rom = BiosRomImage.Build(BiosDispatcher.StandardVectors);

        // Run throws when the port handled fewer calls than the script trapped (registers that miss the trap slots, say).
        Assert.Same(rom, BiosRehearsal.Run(Task.FromResult(rom)));
    }

    [Fact]
    public async Task The_rehearsal_waits_for_the_rom_being_assembled()
    {
        var assembling = new TaskCompletionSource<BiosRomImage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var rehearsal = Task.Run(() => BiosRehearsal.Run(assembling.Task));
        var rom = BiosRomImage.Build(BiosDispatcher.StandardVectors);

        Assert.NotSame(rehearsal, await Task.WhenAny(rehearsal, Task.Delay(TimeSpan.FromMilliseconds(50))));
        assembling.SetResult(rom);
        Assert.Same(rom, await rehearsal);
    }
}
