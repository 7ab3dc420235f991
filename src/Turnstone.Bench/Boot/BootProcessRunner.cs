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
    /// <summary>A boot timed to the test initramfs's init marker, left to end by itself (the initramfs resets the guest).</summary>
    public static BootProcessRun Run(string program, IReadOnlyList<string> arguments, TimeSpan timeout) =>
        Run(new BootProcessLaunch(program, arguments, timeout, InitMarker.Marker, StopAtMarker: false));

    public static BootProcessRun Run(BootProcessLaunch launch)
    {
        string program = launch.Program;
        var arguments = launch.Arguments;
        var timeout = launch.Timeout;
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
                if (toInit is null && launch.Marker.IsIn(e.Data))
                {
                    toInit = now;
                    uptime = launch.Marker.GuestUptimeSeconds(e.Data);
                    if (launch.StopAtMarker)
                    {
                        Terminate(process);
                    }
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
            return new BootProcessRun(toInit, uptime, wall, finished ? process.ExitCode : null, console.ToString(), log.ToString(),
                launch.Marker.Text, launch.StopAtMarker && toInit is not null);
        }
    }

    /// <summary>SIGTERM, which both monitors take as "stop now, cleanly": ours prints its run summary
    /// and ends with status 143, QEMU ends with 0. .NET's Process.Kill sends only SIGKILL.
    /// Without a kill(1) to run, SIGKILL: the run then ends with 137, which its problem names.</summary>
    private static void Terminate(Process process)
    {
        try
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false });
            kill?.WaitForExit();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            process.Kill(entireProcessTree: true);
        }
    }
}
