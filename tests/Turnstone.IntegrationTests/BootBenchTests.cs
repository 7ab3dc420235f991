using System.Diagnostics;
using System.Text.Json;

namespace Turnstone.IntegrationTests;

/// <summary>
/// <c>turnstone bench boot</c> as a user runs it (the built CLI as a child process): the minimal
/// kernel once on the software engine, so no KVM is needed; the table and JSON must carry real
/// figures. QEMU's column is measured when qemu-system-x86_64 is on PATH, else it must say why not.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Bench", "Boot")]
public sealed class BootBenchTests : IDisposable
{
    private readonly string _output = Directory.CreateTempSubdirectory("turnstone-bench-boot-").FullName;

    public void Dispose() => Directory.Delete(_output, recursive: true);

    [Fact]
    public void Bench_boot_on_the_software_engine_reports_real_figures()
    {
        var (status, table, log) = RunCli("bench", "boot", "--minimal-kernel", GuestImages.MinimalKernel, "--cloud-kernel", "none",
            "--initramfs", GuestImages.Initramfs, "--engine", "soft", "--repeats", "1", "--output", _output);

        Assert.True(status == 0, $"bench boot ended with status {status}:\n{log}\n{table}");
        Assert.Matches(@"minimal\s+soft\s+\d+\.\d\d\s+\d+\.\d\d", table);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_output, "boot-bench.json")));
        var row = json.RootElement.GetProperty("rows").EnumerateArray().Single();
        Assert.Equal("soft", row.GetProperty("engine").GetString());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("turnstoneProblem").ValueKind);
        double toInit = row.GetProperty("toInit").GetProperty("median").GetDouble();
        double bootTimer = row.GetProperty("bootTimer").GetProperty("median").GetDouble();
        Assert.InRange(toInit, 0.1, 600);
        // The monitor's timer starts with the machine, after the process's own start, and stops at
        // the port write init makes after printing the marker (one dd process later: on a loaded
        // host that can take a few seconds more).
        Assert.InRange(bootTimer, 0.1, toInit + 10.0);
        Assert.InRange(row.GetProperty("guestInstructions").GetDouble(), 1e6, 1e11);
        Assert.True(row.GetProperty("instructionsPerSecond").GetDouble() > 0);
        Assert.InRange(row.GetProperty("monitorBeyondGuestRamMebibytes").GetInt64(), 1, 4096);
        if (FindOnPath("qemu-system-x86_64") is not null)
        {
            Assert.True(row.GetProperty("qemuNote").ValueKind == JsonValueKind.Null, $"QEMU's run failed: {row.GetProperty("qemuNote")}");
            Assert.InRange(row.GetProperty("qemuToInit").GetProperty("median").GetDouble(), 0.05, 600);
            Assert.InRange(row.GetProperty("ratio").GetDouble(), 0.01, 1000);
            Assert.Matches(@"\d+\.\d\dx", table);
        }
        else
        {
            Assert.StartsWith("not run", row.GetProperty("qemuNote").GetString());
            Assert.Equal(JsonValueKind.Null, row.GetProperty("ratio").ValueKind);
        }
    }

    private static (int Status, string Output, string Log) RunCli(params string[] arguments)
    {
        string cli = Robustness.TurnstoneChildProcess.CliPath;
        var start = new ProcessStartInfo(cli) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var log = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("bench boot did not finish within 10 minutes");
        }
        return (process.ExitCode, output, log.Result);
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program)).FirstOrDefault(File.Exists);
}
