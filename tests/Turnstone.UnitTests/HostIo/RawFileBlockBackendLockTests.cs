using Turnstone.HostIo;

namespace Turnstone.UnitTests.HostIo;

/// <summary>
/// The lock a raw image takes at open (flock through FileShare): a writable image is exclusive, a
/// read-only one shared, so two monitors never write one image and none reads an image another
/// writes. The lock is per open file, so opening twice in one process shows it as two monitors would.
/// </summary>
public sealed class RawFileBlockBackendLockTests : IDisposable
{
    private readonly string _path = Path.Combine("/var/tmp", $"turnstone-lock-{Guid.NewGuid():N}.img");

    public RawFileBlockBackendLockTests() => File.WriteAllBytes(_path, new byte[4096]);

    public void Dispose() => File.Delete(_path);

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void A_second_open_that_would_share_a_written_image_is_refused_naming_the_file(bool firstReadOnly, bool secondReadOnly)
    {
        using var first = RawFileBlockBackend.Open(_path, firstReadOnly);

        var error = Assert.Throws<IOException>(() => RawFileBlockBackend.Open(_path, secondReadOnly));

        Assert.Contains(_path, error.Message);
    }

    [Fact]
    public void Read_only_opens_share_the_image()
    {
        using var first = RawFileBlockBackend.Open(_path, isReadOnly: true);
        using var second = RawFileBlockBackend.Open(_path, isReadOnly: true);

        Assert.Equal(first.Capacity, second.Capacity);
    }

    [Fact]
    public void Closing_the_image_releases_its_lock()
    {
        RawFileBlockBackend.Open(_path, isReadOnly: false).Dispose();

        using var again = RawFileBlockBackend.Open(_path, isReadOnly: false);

        Assert.False(again.IsReadOnly);
    }
}
