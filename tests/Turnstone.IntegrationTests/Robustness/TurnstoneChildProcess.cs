using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Turnstone.IntegrationTests.Robustness;

/// <summary>
/// The <c>turnstone</c> command line run as a child process, as a user runs it: its exit status,
/// its stdout (the guest console) and stderr (the monitor's messages) as they come, its CPU time
/// and resident memory from /proc, and SIGINT (what Ctrl-C sends) delivered with kill(2). Its stdin
/// is a pipe (<see cref="TypeOnTerminal"/> writes to it; nothing else does); a run on a terminal goes through <see cref="StartInPseudoTerminal"/>.
/// </summary>
public sealed class TurnstoneChildProcess : IDisposable
{
    private const int SignalInterrupt = 2, SignalTerminate = 15;

    private readonly Process _process;
    private readonly StringBuilder _output = new(), _errors = new();
    private readonly Lock _gate = new();

    private TurnstoneChildProcess(string program, IEnumerable<string> arguments, bool readOutput = true)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Append(_output, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_errors, e.Data);
        _process.Start();
        if (readOutput)
        {
            _process.BeginOutputReadLine();
        }
        _process.BeginErrorReadLine();
    }

    /// <summary><c>turnstone</c> with <paramref name="arguments"/>. A process that ignores SIGINT (started in the
    /// background by a shell without job control) passes that on to its children, so the child then gets the
    /// default disposition back through env(1): a test of Ctrl-C must not depend on how the test run was started.</summary>
    public static TurnstoneChildProcess Start(params string[] arguments) => Start(readOutput: true, arguments);

    /// <param name="readOutput">False: nobody reads the child's stdout, so once the pipe is full its writes block,
    /// as on a terminal stopped with Ctrl-S or a pipe into a stalled reader.</param>
    public static TurnstoneChildProcess Start(bool readOutput, params string[] arguments) =>
        InterruptIgnoredHere()
            ? new TurnstoneChildProcess("env", ["--default-signal=INT", CliPath, .. arguments], readOutput)
            : new TurnstoneChildProcess(CliPath, arguments, readOutput);

    /// <summary>
    /// <paramref name="script"/> (bash) run by script(1) on a new pseudo-terminal, which is then its
    /// controlling terminal and its stdin, stdout and stderr; the test's writes to
    /// <see cref="TypeOnTerminal"/> arrive as keystrokes (Ctrl-C as SIGINT to the foreground process group).
    /// </summary>
    public static TurnstoneChildProcess StartInPseudoTerminal(string script)
    {
        string[] arguments = ["-qefc", $"bash {script}", "/dev/null"];
        return InterruptIgnoredHere()
            ? new TurnstoneChildProcess("env", ["--default-signal=INT", "script", .. arguments])
            : new TurnstoneChildProcess("script", arguments);
    }

    /// <summary>The turnstone executable users run: the command line compiled ahead of time, which
    /// `./build.sh build` publishes to src/Turnstone.Cli/bin/&lt;configuration&gt;/aot/ (build.cake).</summary>
    public static string CliPath
    {
        get
        {
            // The tests run from tests/Turnstone.IntegrationTests/bin/<configuration>/<framework>/.
            var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            string configuration = framework.Parent!.Name;
            string path = Path.Combine(GuestImages.RepositoryRoot(), "src", "Turnstone.Cli", "bin", configuration, "aot", "turnstone");
            return File.Exists(path) ? path : throw new InvalidOperationException($"the turnstone executable is not built at {path}: run ./build.sh build");
        }
    }

    public int Id => _process.Id;

    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    public string Errors
    {
        get
        {
            lock (_gate)
            {
                return _errors.ToString();
            }
        }
    }

    /// <summary>Both streams, for a failing assertion's message.</summary>
    public string Transcript => $"--- stdout ---\n{Output}--- stderr ---\n{Errors}";

    public int ExitCode => _process.ExitCode;

    /// <summary>Waits until stdout holds <paramref name="text"/>; false after <paramref name="timeout"/> or when the process ended first.</summary>
    public bool WaitForOutput(string text, TimeSpan timeout) => WaitFor(() => Output, text, timeout);

    /// <summary>Waits until stderr holds <paramref name="text"/>, as <see cref="WaitForOutput"/>.</summary>
    public bool WaitForErrors(string text, TimeSpan timeout) => WaitFor(() => Errors, text, timeout);

    private bool WaitFor(Func<string> stream, string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (stream().Contains(text, StringComparison.Ordinal))
            {
                return true;
            }
            if (_process.HasExited)
            {
                _process.WaitForExit(); // drains the streams
                return stream().Contains(text, StringComparison.Ordinal);
            }
            Thread.Sleep(20);
        }
        return false;
    }

    /// <summary>Waits for the process to end and its streams to drain; false when it is still running after <paramref name="timeout"/>.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }
        _process.WaitForExit();
        return true;
    }

    /// <summary>Sends SIGINT, what the terminal sends for Ctrl-C.</summary>
    public void Interrupt() => Signal(SignalInterrupt, "SIGINT");

    /// <summary>Sends SIGTERM, what kill(1), systemd and container runtimes send to stop a process.</summary>
    public void Terminate() => Signal(SignalTerminate, "SIGTERM");

    private void Signal(int signal, string name)
    {
        if (kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {name}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Writes <paramref name="keys"/> to the child's stdin (on a pseudo-terminal: typed at the terminal).</summary>
    public void TypeOnTerminal(string keys)
    {
        _process.StandardInput.Write(keys);
        _process.StandardInput.Flush();
    }

    /// <summary>User plus system CPU time the process has used so far (/proc/PID/stat, in clock ticks of 10 ms).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            string stat = File.ReadAllText(ProcFile("stat"));
            // The fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 14th and 15th.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long ticks = long.Parse(fields[11]) + long.Parse(fields[12]);
            return TimeSpan.FromMilliseconds(ticks * 10);
        }
    }

    /// <summary>The process's resident set (VmRSS in /proc/PID/status).</summary>
    public long ResidentBytes
    {
        get
        {
            string line = File.ReadLines(ProcFile("status")).First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]) * 1024;
        }
    }

    /// <summary>/proc/PID/<paramref name="name"/>; a process that already ended is a failure worth its transcript.</summary>
    private string ProcFile(string name)
    {
        string path = $"/proc/{_process.Id}/{name}";
        if (_process.HasExited || !File.Exists(path))
        {
            _process.WaitForExit();
            throw new InvalidOperationException($"the process ended (status {_process.ExitCode}) while it was being measured\n{Transcript}");
        }
        return path;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }

    private void Append(StringBuilder to, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_gate)
        {
            to.Append(line).Append('\n');
        }
    }

    private static bool InterruptIgnoredHere()
    {
        string? ignored = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return ignored is not null && (Convert.ToUInt64(ignored["SigIgn:".Length..].Trim(), 16) & 1ul << (SignalInterrupt - 1)) != 0;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
