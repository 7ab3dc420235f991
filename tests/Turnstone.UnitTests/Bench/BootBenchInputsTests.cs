using Turnstone.Bench.Boot;

namespace Turnstone.UnitTests.Bench;

public sealed class BootBenchInputsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("turnstone-bootbench-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string File(string name)
    {
        string path = Path.Combine(_directory, name);
        System.IO.File.WriteAllText(path, "x");
        return path;
    }

    [Fact]
    public void Both_kernels_or_one_with_none_for_the_other()
    {
        string minimal = File("bzImage"), cloud = File("vmlinuz");

        Assert.Equal(["minimal", "cloud"], BootBenchInputs.Kernels(minimal, cloud, out _)!.Select(k => k.Name));
        Assert.Equal(["cloud"], BootBenchInputs.Kernels("none", cloud, out _)!.Select(k => k.Name));
        Assert.Equal(["minimal"], BootBenchInputs.Kernels(minimal, null, out _)!.Select(k => k.Name));
    }

    [Fact]
    public void A_missing_kernel_file_is_an_error_naming_the_option_and_path()
    {
        Assert.Null(BootBenchInputs.Kernels(Path.Combine(_directory, "nope"), "none", out string? error));
        Assert.Contains("--minimal-kernel", error);
        Assert.Contains("does not exist", error);
        Assert.Null(BootBenchInputs.Kernels(_directory, "none", out error));
        Assert.Contains("is a directory", error);
    }

    [Fact]
    public void No_kernel_at_all_is_an_error()
    {
        Assert.Null(BootBenchInputs.Kernels("none", "none", out string? error));
        Assert.Contains("no kernel to boot", error);
    }

    [Theory]
    [InlineData(0, 600, "--repeats")]
    [InlineData(3, 0, "--timeout")]
    public void Counts_must_be_positive(int repeats, int timeout, string option)
    {
        Assert.Contains(option, BootBenchInputs.CheckCounts(repeats, timeout));
    }

    [Fact]
    public void Sensible_counts_pass()
    {
        Assert.Null(BootBenchInputs.CheckCounts(1, 1));
        Assert.Null(BootBenchInputs.MissingFile("--initramfs", File("initramfs.cpio.gz")));
        Assert.Contains("--initramfs is needed", BootBenchInputs.MissingFile("--initramfs", null));
    }

    [Fact]
    public void QEMU_none_or_absent_leaves_the_column_not_run_with_the_reason()
    {
        Assert.Null(BootBenchInputs.Qemu("none", "/usr/bin", out string missing, out string? error));
        Assert.Null(error);
        Assert.Equal("not run: --qemu none", missing);

        Assert.Null(BootBenchInputs.Qemu(null, _directory, out missing, out error));
        Assert.Null(error);
        Assert.Contains("install qemu-system-x86", missing);
    }

    [Fact]
    public void QEMU_is_found_on_PATH_and_an_explicit_missing_one_is_an_error()
    {
        string qemu = File("qemu-system-x86_64");

        Assert.Equal(qemu, BootBenchInputs.Qemu(null, "/nonexistent:" + _directory, out _, out string? error));
        Assert.Null(error);
        Assert.Null(BootBenchInputs.Qemu(Path.Combine(_directory, "qemu-nope"), null, out _, out error));
        Assert.Contains("--qemu", error);
    }

    [Fact]
    public void A_bare_QEMU_name_is_looked_for_on_PATH_as_a_shell_would()
    {
        string qemu = File("qemu-system-x86_64");

        Assert.Equal(qemu, BootBenchInputs.Qemu("qemu-system-x86_64", "/nonexistent:" + _directory, out _, out string? error));
        Assert.Null(error);
        Assert.Null(BootBenchInputs.Qemu("qemu-system-x86_64", "/nonexistent", out _, out error));
        Assert.Contains("not a program on PATH", error);
    }
}
