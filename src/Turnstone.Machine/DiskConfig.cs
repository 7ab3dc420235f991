namespace Turnstone.Machine;

/// <summary>A raw disk image given to the guest as a virtio-blk device (/dev/vda, /dev/vdb, ... in order).</summary>
/// <param name="Path">The image file.</param>
/// <param name="ReadOnly">Open the file read-only; the guest sees a read-only disk.</param>
/// <param name="Direct">Bypass the host page cache (O_DIRECT, like QEMU's cache=none).</param>
/// <param name="Synchronous">Run requests one at a time on the queue's worker instead of keeping
/// them in flight on io_uring (for comparison, or a host whose io_uring misbehaves).</param>
public sealed record DiskConfig(string Path, bool ReadOnly = false, bool Direct = false, bool Synchronous = false)
{
    /// <summary>The option words <see cref="Parse"/> knows.</summary>
    public static IReadOnlyList<string> Options { get; } = ["readonly", "direct", "sync"];

    /// <summary>
    /// Parses <c>--disk PATH[,OPTION...]</c> with options <c>readonly</c>, <c>direct</c> and <c>sync</c>
    /// in any order; throws <see cref="ArgumentException"/> naming what is wrong.
    /// </summary>
    /// <remarks>
    /// A path may itself contain commas. The comma-separated words at the end are options only as far
    /// as each one is a known option word: parsing walks back from the end and stops at the first word
    /// that is not, and everything before it is the path. So <c>a,b.img</c> and <c>a,b.img,readonly</c>
    /// name the file <c>a,b.img</c>, and a misspelt option (<c>disk.img,drect</c>) becomes part of the
    /// path, which <see cref="Validate"/> then reports as a missing file. The first word is always path.
    /// </remarks>
    public static DiskConfig Parse(string specification)
    {
        ArgumentNullException.ThrowIfNull(specification);
        string[] words = specification.Split(',');
        int pathWords = words.Length;
        bool readOnly = false, direct = false, synchronous = false;
        while (pathWords > 1 && Options.Contains(words[pathWords - 1], StringComparer.Ordinal))
        {
            pathWords--;
            switch (words[pathWords])
            {
                case "readonly":
                    readOnly = true;
                    break;
                case "direct":
                    direct = true;
                    break;
                case "sync":
                    synchronous = true;
                    break;
            }
        }
        string path = string.Join(',', words, 0, pathWords);
        if (path.Length == 0)
        {
            throw new ArgumentException($"--disk '{specification}': no file name (expected PATH[,readonly][,direct][,sync])");
        }
        return new DiskConfig(path, readOnly, direct, synchronous);
    }

    /// <summary>Checks the file exists, is a regular file we may open as asked, and holds at least one sector.</summary>
    public void Validate()
    {
        var info = new FileInfo(Path);
        if (!info.Exists)
        {
            string hint = Path.Contains(',') ? $" (options after a comma are only {string.Join(", ", Options)})" : "";
            throw new ArgumentException(Directory.Exists(Path) ? $"disk '{Path}' is a directory, not an image file" : $"disk image '{Path}' does not exist{hint}");
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
