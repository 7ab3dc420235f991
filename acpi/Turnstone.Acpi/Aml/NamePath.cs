namespace Turnstone.Acpi.Aml;

/// <summary>
/// A NameString: an optional root ('\') or parent ('^') prefix, then zero or more segments
/// written as a single NameSeg, a DualNamePrefix pair, a MultiNamePrefix list or a NullName.
/// Parsed from ASL spelling ("\_SB.PCI0", "^^COM1", "_HID"); a path is also a valid package
/// element or term, where it stands for a reference to the named object.
/// </summary>
public sealed record NamePath : IAmlObject
{
    public NamePath(bool isRooted, int parentPrefixes, IReadOnlyList<NameSeg> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentOutOfRangeException.ThrowIfNegative(parentPrefixes);
        if (isRooted && parentPrefixes > 0)
        {
            throw new ArgumentException("a name path is either rooted or relative to a parent, not both");
        }
        if (segments.Count > byte.MaxValue)
        {
            throw new ArgumentException($"a name path has at most {byte.MaxValue} segments (MultiNamePrefix count is a byte)");
        }
        IsRooted = isRooted;
        ParentPrefixes = parentPrefixes;
        Segments = segments.ToArray();
    }

    public bool IsRooted { get; }

    public int ParentPrefixes { get; }

    public IReadOnlyList<NameSeg> Segments { get; }

    public static NamePath Parse(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        int at = 0;
        bool rooted = path.StartsWith('\\');
        if (rooted)
        {
            at = 1;
        }
        int parents = 0;
        while (at < path.Length && path[at] == '^')
        {
            parents++;
            at++;
        }
        string rest = path[at..];
        NameSeg[] segments = rest.Length == 0 ? [] : rest.Split('.').Select(segment => new NameSeg(segment)).ToArray();
        return new NamePath(rooted, parents, segments);
    }

    public static implicit operator NamePath(string path) => Parse(path);

    public void WriteTo(AmlWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (IsRooted)
        {
            writer.WriteByte(AmlOpcode.RootChar);
        }
        for (int i = 0; i < ParentPrefixes; i++)
        {
            writer.WriteByte(AmlOpcode.ParentPrefixChar);
        }
        switch (Segments.Count)
        {
            case 0:
                writer.WriteByte(AmlOpcode.NullName);
                break;
            case 1:
                break;
            case 2:
                writer.WriteByte(AmlOpcode.DualNamePrefix);
                break;
            default:
                writer.WriteByte(AmlOpcode.MultiNamePrefix);
                writer.WriteByte((byte)Segments.Count);
                break;
        }
        foreach (var segment in Segments)
        {
            segment.WriteTo(writer);
        }
    }

    public override string ToString() =>
        (IsRooted ? "\\" : "") + new string('^', ParentPrefixes) + string.Join('.', Segments);

    public bool Equals(NamePath? other) =>
        other is not null && IsRooted == other.IsRooted && ParentPrefixes == other.ParentPrefixes && Segments.SequenceEqual(other.Segments);

    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);
}
