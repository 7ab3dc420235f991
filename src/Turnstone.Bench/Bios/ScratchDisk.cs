namespace Turnstone.Bench.Bios;

/// <summary>
/// A writable copy of a cached disk image for one boot (the cache's images are read-only, and a
/// boot writes to its root file system), in a directory of its own that disposing deletes.
/// The copy is sparse as <c>cp --sparse=always</c> makes it: runs of zeros become holes, so a
/// 1.1 GiB image with 330 MB of data takes 330 MB.
/// </summary>
public sealed class ScratchDisk : IDisposable
{
    private const int Chunk = 64 * 1024;

    private readonly string _directory;

    public string Path { get; }

    private ScratchDisk(string directory, string path)
    {
        _directory = directory;
        Path = path;
    }

    /// <summary>Copies <paramref name="image"/> into a new directory under <paramref name="parent"/> (the system's temporary directory when null).</summary>
    public static ScratchDisk Copy(string image, string? parent)
    {
        string directory = parent is null
            ? Directory.CreateTempSubdirectory("turnstone-bios-bench.").FullName
            : Directory.CreateDirectory(System.IO.Path.Combine(parent, "turnstone-bios-bench." + Guid.NewGuid().ToString("N")[..8])).FullName;
        string path = System.IO.Path.Combine(directory, "disk.img");
        try
        {
            CopySparse(image, path);
            return new ScratchDisk(directory, path);
        }
        catch
        {
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>Writes every 64 KiB chunk of <paramref name="source"/> that holds a non-zero byte and
    /// seeks over the others; the length is set at the end, so trailing zeros are a hole too.</summary>
    public static void CopySparse(string source, string destination)
    {
        using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, Chunk);
        using var output = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, Chunk);
        var buffer = new byte[Chunk];
        int read;
        while ((read = input.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false)) > 0)
        {
            var chunk = buffer.AsSpan(0, read);
            if (chunk.IndexOfAnyExcept((byte)0) < 0)
            {
                output.Seek(read, SeekOrigin.Current);
            }
            else
            {
                output.Write(chunk);
            }
        }
        output.SetLength(input.Length);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
