namespace Turnstone.Machine;

/// <summary>What the monitor reads from the kernel command line it passes on.</summary>
internal static class KernelCommandLine
{
    /// <summary>
    /// Whether the terminal's input belongs to hvc0: the last <c>console=</c> names the console
    /// Linux opens as /dev/console, the one a user's shell is on. Keystrokes go to that device
    /// only, so a guest that also reads the other console does not see them twice.
    /// </summary>
    public static bool InteractiveConsoleIsVirtio(string commandLine)
    {
        string? last = null;
        foreach (string word in commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (word.StartsWith("console=", StringComparison.Ordinal))
            {
                last = word["console=".Length..];
            }
        }
        return last is not null && last.StartsWith("hvc", StringComparison.Ordinal);
    }
}
