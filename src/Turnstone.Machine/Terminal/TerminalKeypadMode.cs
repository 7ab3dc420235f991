namespace Turnstone.Machine.Terminal;

/// <summary>
/// Undoes what .NET's console does to a terminal and does not undo: once the console drives a
/// terminal (Ctrl-C handling, reading the keyboard) it writes the terminal's keypad_xmit, which
/// switches the cursor keys to application mode (on xterm ESC [ ? 1 h ESC =), and at exit it puts the
/// line settings back but not the keypad, so the shell after <c>turnstone run</c> sees ESC O A for
/// an arrow key. <see cref="RestoreLocal"/> writes keypad_local from the same terminfo entry.
/// </summary>
public static class TerminalKeypadMode
{
    /// <summary>Writes $TERM's keypad_local to stdout when stdout is a terminal whose entry has one and keypad_xmit.</summary>
    public static void RestoreLocal()
    {
        if (Console.IsOutputRedirected || LeaveSequence(Environment.GetEnvironmentVariable("TERM")) is not { } leave)
        {
            return;
        }
        try
        {
            using var stdout = HostStandardOutput.Open();
            byte[] bytes = System.Text.Encoding.Latin1.GetBytes(leave);
            stdout.Write(bytes);
            stdout.Flush();
        }
        catch (IOException)
        {
            // The terminal went away: there is nothing left to restore.
        }
    }

    /// <summary>keypad_local of <paramref name="terminal"/>'s entry, when the entry also has keypad_xmit (which .NET wrote).</summary>
    internal static string? LeaveSequence(string? terminal) =>
        TerminfoEntry.Find(terminal) is { } entry && !string.IsNullOrEmpty(TerminfoEntry.ReadString(entry, TerminfoEntry.KeypadTransmit))
            ? TerminfoEntry.ReadString(entry, TerminfoEntry.KeypadLocal) is { Length: > 0 } leave ? leave : null
            : null;
}
