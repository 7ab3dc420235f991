namespace Turnstone.UnitTests.Acpi;

public sealed class AcpicaWorkspaceTests
{
    [Fact]
    public void A_missing_tool_fails_with_the_package_to_install()
    {
        using var workspace = new AcpicaWorkspace();
        var failure = Assert.Throws<InvalidOperationException>(() => workspace.Run("turnstone-absent-acpica-tool", "-v"));
        Assert.Contains("acpica-tools", failure.Message);
    }
}
