using System.Diagnostics;
using System.Text;

namespace Turnstone.Bench.Boot;

/// <summary>
/// Runs one boot as a child process and times it from just before the process starts to the
/// moment its console (stdout) shows the init marker: the same clock for our monitor and QEMU, so
/// each pays its own start-up (ours: the process and the machine's set-up; QEMU's: its firmware) as a user would.
/// </summary>
public static class BootProcessRunner
{
    /// <summary>A boot timed to the test initramfs's init marker, left to end by itself (the initramfs
    /// resets the guest), its memory beyond guest RAM sampled.</summary>
    public static BootProcessRun Run(string program, IReadOnlyList<string> arguments, TimeSpan timeout, long guestRamBytes) =>
        Run(new BootProcessLaunch(program, arguments, timeout, InitMarker.Marker, StopAtMarker: false, guestRamBytes));

    public static BootProcessRun Run(BootProcessLaunch launch)
    {
        string program = launch.Program;
        var arguments = launch.Arguments;
        var timeout = launch.Timeout;
        // stdin is a pipe nobody writes to: neither our monitor's console nor QEMU's stdio serial
        // port gets anything to read, and neither touches the caller's terminal.
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
        MemorySampler? sampler = null;
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
                    sampler?.SampleNow();
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
        if (launch.GuestRamBytes is { } guestRam)
        {
            sampler = new MemorySampler(process.Id, guestRam);
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
        long? peak = sampler?.Stop();
        lock (gate)
        {
            return new BootProcessRun(toInit, uptime, wall, finished ? process.ExitCode : null, console.ToString(), log.ToString(),
                launch.Marker.Text, launch.StopAtMarker && toInit is not null, peak);
        }
    }

    /// <summary>
    /// Samples a process's memory beyond guest RAM every <see cref="Interval"/> and when asked (at
    /// the marker) on a thread of its own, and keeps the largest. Reading smaps costs the host a few
    /// milliseconds of a core each time, the same for either monitor.
    /// </summary>
    private sealed class MemorySampler
    {
        private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
        private readonly AutoResetEvent _wake = new(false);
        private readonly Thread _thread;
        private volatile bool _stopping;
        private long? _peak;

        public MemorySampler(int processId, long guestRamBytes)
        {
            _thread = new Thread(() =>
            {
                while (!_stopping)
                {
                    if (ProcessMemory.BeyondGuestRam(processId, guestRamBytes) is { } bytes && bytes > (_peak ?? -1))
                    {
                        _peak = bytes;
                    }
                    _wake.WaitOne(Interval);
                }
            }) { IsBackground = true, Name = "bench memory sampler" };
            _thread.Start();
        }

        public void SampleNow() => _wake.Set();

        /// <summary>Stops sampling (the process has exited) and returns the largest sample, or null when none was taken.</summary>
        public long? Stop()
        {
            _stopping = true;
            _wake.Set();
            _thread.Join();
            _wake.Dispose();
            return _peak;
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
