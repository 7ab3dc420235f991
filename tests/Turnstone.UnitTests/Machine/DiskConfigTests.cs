using Turnstone.Machine;

namespace Turnstone.UnitTests.Machine;

public sealed class DiskConfigTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("turnstone-disk-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("root.img", "root.img", false)]
    [InlineData("root.img,readonly", "root.img", true)]
    [InlineData("/tmp/a,b.img", "/tmp/a,b.img", false)]
    [InlineData("/tmp/a,b.img,readonly", "/tmp/a,b.img", true)]
    public void Parse_takes_only_a_trailing_readonly_as_an_option(string specification, string path, bool readOnly)
    {
        Assert.Equal(new DiskConfig(path, readOnly), DiskConfig.Parse(specification));
    }

    [Theory]
    [InlineData("disk.img,direct", "disk.img", false, true)]
    [InlineData("disk.img,readonly,direct", "disk.img", true, true)]
    [InlineData("disk.img,direct,readonly", "disk.img", true, true)]
    [InlineData("disk.img,direct,direct", "disk.img", false, true)]
    [InlineData("/images/a,b,c.img,direct", "/images/a,b,c.img", false, true)]
    [InlineData("/images/x,readonly.img,direct", "/images/x,readonly.img", false, true)]
    [InlineData("disk.img,drect", "disk.img,drect", false, false)] // misspelt: part of the path
    [InlineData("disk.img,drect,readonly", "disk.img,drect", true, false)] // options stop at the first unknown word
    [InlineData("disk.img,", "disk.img,", false, false)]
    [InlineData("readonly", "readonly", false, false)] // the first word is always the path
    [InlineData("direct,readonly", "direct", true, false)]
    public void Parse_takes_trailing_known_option_words_in_any_order(string specification, string path, bool readOnly, bool direct)
    {
        Assert.Equal(new DiskConfig(path, readOnly, direct), DiskConfig.Parse(specification));
    }

    [Theory]
    [InlineData("disk.img", false)]
    [InlineData("disk.img,sync", true)]
    [InlineData("disk.img,direct,sync,readonly", true)]
    [InlineData("sync", false)] // a file called sync
    public void Parse_takes_sync_as_one_request_at_a_time(string specification, bool synchronous)
    {
        Assert.Equal(synchronous, DiskConfig.Parse(specification).Synchronous);
    }

    [Theory]
    [InlineData("")]
    [InlineData(",readonly")]
    [InlineData(",direct")]
    [InlineData(",readonly,direct")]
    public void Parse_refuses_a_missing_file_name(string specification)
    {
        var error = Assert.Throws<ArgumentException>(() => DiskConfig.Parse(specification));
        Assert.Contains("no file name", error.Message);
    }

    [Fact]
    public void Validate_names_a_missing_file_a_directory_and_a_file_smaller_than_a_sector()
    {
        string small = Path.Combine(_directory, "small.img");
        File.WriteAllBytes(small, new byte[100]);

        Assert.Contains("does not exist", Assert.Throws<ArgumentException>(() => new DiskConfig(Path.Combine(_directory, "none.img")).Validate()).Message);
        Assert.Contains("is a directory", Assert.Throws<ArgumentException>(() => new DiskConfig(_directory).Validate()).Message);
        Assert.Contains("100 bytes", Assert.Throws<ArgumentException>(() => new DiskConfig(small).Validate()).Message);
        Assert.DoesNotContain("options", Assert.Throws<ArgumentException>(() => new DiskConfig(Path.Combine(_directory, "none.img")).Validate()).Message);
    }

    [Fact]
    public void Validate_hints_at_the_option_words_when_a_missing_path_has_a_comma()
    {
        var config = DiskConfig.Parse(Path.Combine(_directory, "disk.img,drect"));
        var error = Assert.Throws<ArgumentException>(config.Validate);
        Assert.Contains("does not exist", error.Message);
        Assert.Contains("readonly, direct", error.Message);
    }

    [Fact]
    public void Validate_accepts_a_sector_and_leaves_the_file_untouched()
    {
        string image = Path.Combine(_directory, "disk.img");
        byte[] content = [.. Enumerable.Range(0, 4096).Select(i => (byte)i)];
        File.WriteAllBytes(image, content);

        new DiskConfig(image).Validate();
        new DiskConfig(image, ReadOnly: true).Validate();

        Assert.Equal(content, File.ReadAllBytes(image));
    }
}
