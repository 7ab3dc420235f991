using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Turnstone.IntegrationTests.NestedKvm;

/// <summary>
/// A real KVM on a host that has none we can use: Debian's cloud kernel in QEMU's software CPU
/// (TCG) with AMD SVM emulated, where kvm_amd loads and /dev/kvm runs guests. Our command line
/// runs inside with <c>--engine kvm</c>, so the KVM rows a nested PVM host cannot run (real mode, a
/// BIOS boot) and a host without /dev/kvm cannot run at all still meet a real KVM. The VM's root
/// is <see cref="KvmHostPayload"/>; each run adds a disk with the guest files and the arguments.
/// The guest's consoles come out on the VM's serial port, mixed with the VM's own "kvm-host:" lines.
/// </summary>
internal static partial class KvmHostVm
{
    private const string Qemu = "qemu-system-x86_64";

    /// <summary>Why the nested KVM cannot run here, or null.</summary>
    public static string? UnavailableReason =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, Qemu)))
            ? null
            : $"needs {Qemu} (Debian package qemu-system-x86) to nest KVM in QEMU's software CPU";

    /// <summary>
    /// Fails unless turnstone in the VM exited with <paramref name="expected"/>, saying why it did not
    /// in the message's first lines: the monitor's own lines ("[turnstone] ...", "kvm-host: ...": a
    /// triple fault, an error), then the end of the serial output.
    /// </summary>
    public static void AssertExitStatus(int expected, int? status, string text)
    {
        if (status == expected)
        {
            return;
        }
        string[] lines = text.Split('\n');
        var monitor = lines.Where(line => line.TrimStart().StartsWith("[turnstone]", StringComparison.Ordinal) || line.StartsWith("kvm-host:", StringComparison.Ordinal));
        Assert.Fail($"turnstone in the VM exited with status {status?.ToString() ?? "(none: it never ran or never ended)"}, expected {expected}\n" +
                    string.Join('\n', monitor) + "\n--- the end of the serial output ---\n" + string.Join('\n', lines.TakeLast(25)));
    }

    /// <summary>What the monitor in the VM prints when its guest triple-faults.</summary>
    private const string GuestTripleFault = "[turnstone] guest triple fault";

    /// <summary>What kvm-host-init.sh prints when turnstone outlives its time: the VM itself still runs.</summary>
    private const string WatchdogReport = "kvm-host: watchdog:";

    /// <summary>
    /// Runs <c>turnstone ARGUMENTS</c> on the VM's KVM, with <paramref name="guestFiles"/> (name in
    /// the VM, host path) under /guest (writable copies), and <paramref name="console"/> as its
    /// terminal. Returns turnstone's exit status (null when the VM never ran it) and the serial output.
    /// </summary>
    /// <remarks>
    /// A run is started once more, and the test output says why with the first run's transcript, when
    /// the nested emulation failed rather than our code: the guest triple-faulted, the VM stopped
    /// making progress (it never powered off and its own watchdog, which reports a turnstone that
    /// outlives its time, never spoke), or the VM ended before its init script could report
    /// turnstone's exit (the VM's own kernel went down). KVM here is kvm_amd on QEMU 7.2's software
    /// emulation of AMD SVM, and on 2026-12-07 about one nested run in seven failed in one of these
    /// ways (5 of some 35): the Debian 12 guest triple-faulted twice (in its initramfs; and in its
    /// kernel's start, where it probes the K8 performance counters, WRMSR 0xC0010007, which KVM answers
    /// with a #GP), two VMs went silent (the gpt-cloud row's at that same point, a boot-sector row's
    /// as turnstone started), and one VM reset itself while the Debian 12 guest's kernel started; the
    /// same images never failed on the software engine.
    /// Only once; a turnstone the watchdog catches still running is a failure at once, as is any exit status;
    /// on a host whose own KVM runs these rows this class is not used (the in-process KVM rows run
    /// instead, without a retry).
    /// </remarks>
    public static (int? Status, string Output) Run(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> guestFiles,
        ScriptedConsole console, TimeSpan timeLimit, ITestOutputHelper output)
    {
        var first = RunOnce(arguments, guestFiles, console, timeLimit, output);
        string? emulationFailure = !first.Finished
            ? first.Output.Contains(WatchdogReport, StringComparison.Ordinal) ? null : "the VM went silent (no power-off, no watchdog report)"
            : first.Output.Contains(GuestTripleFault, StringComparison.Ordinal) ? "the guest triple-faulted"
            : !TurnstoneExit().IsMatch(first.Output) ? "the VM ended without turnstone's exit status (its own kernel stopped)"
            : null;
        if (emulationFailure is null)
        {
            return Result(first, timeLimit);
        }
        output.WriteLine($"--- {emulationFailure} on KVM nested in QEMU's software CPU (transcript above): running it once more ---");
        return Result(RunOnce(arguments, guestFiles, console.Afresh(), timeLimit, output), timeLimit);
    }

    private static (int? Status, string Output) Result((bool Finished, string Output) run, TimeSpan timeLimit)
    {
        if (!run.Finished)
        {
            throw new TimeoutException($"the KVM host VM did not power off within {timeLimit.TotalMinutes:F0} min (transcript in the test output)");
        }
        var status = TurnstoneExit().Match(run.Output);
        return (status.Success ? int.Parse(status.Groups["status"].Value) : null, run.Output);
    }

    private static (bool Finished, string Output) RunOnce(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> guestFiles,
        ScriptedConsole console, TimeSpan timeLimit, ITestOutputHelper output)
    {
        string payload = KvmHostPayload.Image;
        var directory = Directory.CreateTempSubdirectory("turnstone-kvm-run-");
        try
        {
            string disk = GuestDisk(directory.FullName, arguments, guestFiles, timeLimit - WatchdogMargin);
            string transcript = RunQemu(payload, disk, console, timeLimit, out bool finished);
            output.WriteLine(transcript);
            return (finished, transcript);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>How long before the time limit kvm-host-init.sh reports a turnstone still running, thread by thread.</summary>
    private static readonly TimeSpan WatchdogMargin = TimeSpan.FromSeconds(40);

    /// <summary>The run's ext4 disk (/dev/vdb in the VM): the arguments file, the watchdog's delay,
    /// and sparse, writable copies of the guest files.</summary>
    private static string GuestDisk(string directory, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> guestFiles, TimeSpan watchdog)
    {
        string tree = Path.Combine(directory, "guest");
        Directory.CreateDirectory(tree);
        File.WriteAllLines(Path.Combine(tree, "arguments"), arguments);
        File.WriteAllText(Path.Combine(tree, "watchdog-seconds"), $"{(int)watchdog.TotalSeconds}\n");
        foreach (var (name, source) in guestFiles)
        {
            string copy = Path.Combine(tree, name);
            KvmHostPayload.Run("cp", "--sparse=always", source, copy);
            KvmHostPayload.Run("chmod", "644", copy);
        }
        string disk = Path.Combine(directory, "guest.ext4");
        KvmHostPayload.MakeExt4(tree, disk, "kvm-guest");
        return disk;
    }

    private static string RunQemu(string payload, string guestDisk, ScriptedConsole console, TimeSpan timeLimit, out bool finished)
    {
        var start = new ProcessStartInfo(Qemu)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        string[] arguments =
        [
            // SVM with nested paging: what kvm_amd needs, and what QEMU's software CPU emulates.
            "-accel", "tcg,thread=multi", "-cpu", "qemu64,+svm,+npt", "-smp", Environment.ProcessorCount > 1 ? "2" : "1",
            "-m", "2G", "-M", "q35", "-nic", "none", "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot",
            "-kernel", GuestImages.CloudKernel, "-initrd", GuestImages.VirtioInitramfs,
            "-append", "console=ttyS0 root=/dev/vda ro quiet init=/sbin/kvm-host-init",
            "-drive", $"file={payload},if=virtio,format=raw,readonly=on",
            "-drive", $"file={guestDisk},if=virtio,format=raw",
        ];
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var qemu = Process.Start(start)!;
        var errors = qemu.StandardError.ReadToEndAsync();
        var serial = Task.Run(() => qemu.StandardOutput.BaseStream.CopyTo(console.Output));
        // Types the console's keystrokes once its prompt shows (the VM's serial port takes them as
        // input); a background thread, since it waits for a prompt that may never come.
        new Thread(() =>
        {
            try
            {
                console.Input.CopyTo(qemu.StandardInput.BaseStream);
                qemu.StandardInput.BaseStream.Flush();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // QEMU exited before the prompt showed: the transcript says why.
            }
        }) { IsBackground = true, Name = "kvm-host keystrokes" }.Start();
        finished = qemu.WaitForExit(timeLimit);
        if (!finished)
        {
            qemu.Kill(entireProcessTree: true);
            qemu.WaitForExit();
        }
        serial.Wait(TimeSpan.FromSeconds(10));
        var text = new StringBuilder(console.Text);
        text.Append($"\n--- {Qemu} exited with status {qemu.ExitCode} ---\n").Append(errors.Result);
        return text.ToString();
    }

    [GeneratedRegex(@"kvm-host: turnstone exited with status (?<status>[0-9]+)")]
    private static partial Regex TurnstoneExit();
}
