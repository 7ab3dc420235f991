using System.CommandLine;

namespace Turnstone.Cli;

internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Measure the monitor against baselines taken in the same run");
        return command;
    }
}
