namespace Turnstone.Machine;

/// <summary>A raw disk image given to the guest as a virtio-blk device (/dev/vda, /dev/vdb, ... in order).</summary>
public sealed record DiskConfig(string Path, bool ReadOnly = false)
{
    /// <summary>Parses <c>--disk PATH[,readonly]</c>; throws <see cref="ArgumentException"/> naming what is wrong.</summary>
    public static DiskConfig Parse(string specification)
    {
        ArgumentNullException.ThrowIfNull(specification);
        // A path may itself contain commas; only a trailing ",readonly" is an option.
        const string ReadOnlySuffix = ",readonly";
        bool readOnly = specification.EndsWith(ReadOnlySuffix, StringComparison.Ordinal);
        string path = readOnly ? specification[..^ReadOnlySuffix.Length] : specification;
        if (path.Length == 0)
        {
            throw new ArgumentException($"--disk '{specification}': no file name (expected PATH or PATH,readonly)");
        }
        return new DiskConfig(path, readOnly);
    }

    /// <summary>Checks the file exists, is a regular file we may open as asked, and holds at least one sector.</summary>
    public void Validate()
    {
        var info = new FileInfo(Path);
        if (!info.Exists)
        {
            throw new ArgumentException(Directory.Exists(Path) ? $"disk '{Path}' is a directory, not an image file" : $"disk image '{Path}' does not exist");
        }
        if (info.Length < 512)
        {
            throw new ArgumentException($"disk image '{Path}' is {info.Length} bytes; a disk needs at least one 512-byte sector");
        }
        try
        {
            using var probe = File.OpenHandle(Path, FileMode.Open, ReadOnly ? FileAccess.Read : FileAccess.ReadWrite, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"cannot open disk image '{Path}'{(ReadOnly ? "" : " for writing (add ,readonly?)")}: {e.Message}");
        }
    }
}
