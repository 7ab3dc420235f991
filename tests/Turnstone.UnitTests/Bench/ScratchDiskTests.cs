using System.Diagnostics;
using System.Runtime.Versioning;
using Turnstone.Bench.Bios;

namespace Turnstone.UnitTests.Bench;

[SupportedOSPlatform("linux")]
public sealed class ScratchDiskTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("scratch-disk-tests.").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void The_copy_has_the_same_bytes_is_writable_and_is_deleted_with_its_directory()
    {
        string image = Path.Combine(_directory, "image.img");
        var bytes = new byte[3 * 1024 * 1024 + 100];
        bytes[0] = 0x55;
        bytes[510] = 0xAA;
        bytes[2 * 1024 * 1024 + 7] = 1;
        bytes[^1] = 2;
        File.WriteAllBytes(image, bytes);
        File.SetUnixFileMode(image, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead); // read-only, as in the cache

        string copyDirectory;
        using (var copy = ScratchDisk.Copy(image, _directory))
        {
            Assert.Equal(bytes, File.ReadAllBytes(copy.Path));
            Assert.True(File.GetUnixFileMode(copy.Path).HasFlag(UnixFileMode.UserWrite));
            copyDirectory = Path.GetDirectoryName(copy.Path)!;
            Assert.NotEqual(_directory, copyDirectory);
        }

        Assert.False(Directory.Exists(copyDirectory));
        Assert.True(File.Exists(image));
    }

    [Fact]
    public void Zeros_become_holes_and_trailing_zeros_keep_the_length()
    {
        string image = Path.Combine(_directory, "sparse-source.img");
        var bytes = new byte[16 * 1024 * 1024];
        bytes[4096] = 1;
        File.WriteAllBytes(image, bytes); // written out in full: every block allocated
        string copy = Path.Combine(_directory, "copy.img");

        ScratchDisk.CopySparse(image, copy);

        Assert.Equal(bytes.Length, new FileInfo(copy).Length);
        Assert.Equal(bytes, File.ReadAllBytes(copy));
        Assert.True(AllocatedBytes(copy) < AllocatedBytes(image) / 8, $"copy {AllocatedBytes(copy)} bytes allocated, source {AllocatedBytes(image)}");
    }

    private static long AllocatedBytes(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%b %B", path]) { RedirectStandardOutput = true })!;
        string[] fields = stat.StandardOutput.ReadToEnd().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        stat.WaitForExit();
        return long.Parse(fields[0]) * long.Parse(fields[1]);
    }
}
