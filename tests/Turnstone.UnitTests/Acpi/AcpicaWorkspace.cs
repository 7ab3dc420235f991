using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Turnstone.UnitTests.Acpi;

/// <summary>
/// A temporary directory in which the ACPICA tools (iasl, acpiexec) judge our bytes. The tools
/// are required, never skipped: when one is missing the test fails with a message naming the
/// Debian package, because a table nobody checked is exactly what these tests exist to prevent.
/// </summary>
internal sealed class AcpicaWorkspace : IDisposable
{
    public const string DebianPackage = "acpica-tools";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public AcpicaWorkspace() => Directory = System.IO.Directory.CreateTempSubdirectory("turnstone-acpi-").FullName;

    public string Directory { get; }

    public string PathOf(string name) => Path.Combine(Directory, name);

    public void Write(string name, ReadOnlySpan<byte> bytes) => File.WriteAllBytes(PathOf(name), bytes.ToArray());

    public void WriteText(string name, string text) => File.WriteAllText(PathOf(name), text);

    public byte[] Read(string name) => File.ReadAllBytes(PathOf(name));

    public string ReadText(string name) => File.ReadAllText(PathOf(name));

    public ToolResult Iasl(params string[] arguments) => Run("iasl", arguments);

    public ToolResult Acpiexec(params string[] arguments) => Run("acpiexec", arguments);

    /// <summary>Runs <paramref name="program"/> in the workspace; stdout and stderr come back together, in order of arrival.</summary>
    public ToolResult Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // acpiexec falls into its interactive debugger if batch mode fails
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"{program} is not installed: it comes with the Debian package {DebianPackage} " +
                $"(apt-get install {DebianPackage}), which CI installs. These tests judge our ACPI tables with it. ({e.Message})", e);
        }
        using (process)
        {
            var output = new StringBuilder();
            var gate = new Lock();
            void Append(object sender, DataReceivedEventArgs line)
            {
                if (line.Data is not null)
                {
                    lock (gate)
                    {
                        output.AppendLine(line.Data);
                    }
                }
            }
            process.OutputDataReceived += Append;
            process.ErrorDataReceived += Append;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            process.StandardInput.Close();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish in {Timeout.TotalSeconds} s");
            }
            process.WaitForExit(); // drains the asynchronous readers
            lock (gate)
            {
                return new ToolResult($"{program} {string.Join(' ', arguments)}", process.ExitCode, output.ToString());
            }
        }
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary directory is not worth failing a test over.
        }
    }
}

internal sealed record ToolResult(string CommandLine, int ExitCode, string Output)
{
    public string[] Lines => Output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"$ {CommandLine}\n(exit {ExitCode})\n{Output}";
}
