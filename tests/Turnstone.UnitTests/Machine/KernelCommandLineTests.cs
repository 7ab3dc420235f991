using Turnstone.Machine;

namespace Turnstone.UnitTests.Machine;

public sealed class KernelCommandLineTests
{
    [Theory]
    [InlineData("console=ttyS0 console=hvc0 root=/dev/vda", true)]
    [InlineData("console=hvc0 console=ttyS0", false)]
    [InlineData("console=ttyS0", false)]
    [InlineData("root=/dev/vda quiet", false)]
    [InlineData("earlycon=hvc0 console=ttyS0,115200", false)]
    [InlineData("  console=hvc1  ", true)]
    public void The_keyboard_goes_to_hvc_only_when_the_last_console_is_one(string commandLine, bool expected)
    {
        Assert.Equal(expected, KernelCommandLine.InteractiveConsoleIsVirtio(commandLine));
    }
}
