using System.Diagnostics;
using System.Text;

namespace Turnstone.Bench.Boot;

/// <summary>
/// Runs one boot as a child process and times it from just before the process starts to the
/// moment its console (stdout) shows the init marker: the same clock for our monitor and QEMU, so
/// each pays its own start-up (the .NET runtime, QEMU's firmware) as a user would.
/// </summary>
public static class BootProcessRunner
{
    public static BootProcessRun Run(string program, IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        // stdin is a pipe nobody writes to: our monitor then takes no console input, and QEMU's
        // stdio serial port has nothing to read; neither touches the caller's terminal.
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        var gate = new object();
        var console = new StringBuilder();
        var log = new StringBuilder();
        double? toInit = null, uptime = null;
        var clock = new Stopwatch();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            double now = clock.Elapsed.TotalSeconds;
            lock (gate)
            {
                console.AppendLine(e.Data);
                if (toInit is null && InitMarker.IsIn(e.Data))
                {
                    toInit = now;
                    uptime = InitMarker.GuestUptimeSeconds(e.Data);
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (gate)
                {
                    log.AppendLine(e.Data);
                }
            }
        };
        clock.Start();
        if (!process.Start())
        {
            throw new InvalidOperationException($"cannot start {program}");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        bool finished = process.WaitForExit(timeout);
        if (!finished)
        {
            process.Kill(entireProcessTree: true);
        }
        process.WaitForExit(); // and the output readers to reach the end of both pipes
        double wall = clock.Elapsed.TotalSeconds;
        lock (gate)
        {
            return new BootProcessRun(toInit, uptime, wall, finished ? process.ExitCode : null, console.ToString(), log.ToString());
        }
    }
}
