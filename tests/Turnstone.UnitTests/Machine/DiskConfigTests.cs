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
    [InlineData("")]
    [InlineData(",readonly")]
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
