namespace Turnstone.Bench.Boot;

/// <summary>The two command lines of a row: <c>turnstone run</c> and QEMU TCG, same kernel,
/// initramfs and RAM; the kernel command lines differ only by our engine's default additions
/// (<see cref="BootBenchRowPlan.QemuCommandLine"/>).</summary>
public static class BootCommands
{
    public const string Memory = "512M";
    public const long MemoryBytes = 512L << 20;

    public static IReadOnlyList<string> Turnstone(BootBenchRowPlan row, string initramfs) =>
        ["run", "--engine", row.EngineName, "--memory", Memory, "--kernel", row.Kernel.Path, "--initrd", initramfs, "--cmdline", row.CommandLine];

    /// <summary>QEMU's machine as the brief names it (<c>-accel tcg -M q35</c>, SeaBIOS included),
    /// without the default NIC and VGA our machine does not have either; -no-reboot makes the
    /// guest's reset after init end the process.</summary>
    public static IReadOnlyList<string> QemuTcg(BootBenchRowPlan row, string initramfs) =>
        ["-accel", "tcg", "-M", "q35", "-m", Memory, "-nodefaults", "-display", "none", "-no-reboot", "-serial", "stdio",
         "-kernel", row.Kernel.Path, "-initrd", initramfs, "-append", row.QemuCommandLine];

    /// <summary>A command line a user can paste (arguments with spaces quoted).</summary>
    public static string Display(string program, IEnumerable<string> arguments) =>
        string.Join(' ', new[] { program }.Concat(arguments).Select(a => a.Contains(' ') ? $"\"{a}\"" : a));
}
