namespace Turnstone.Acpi.Aml;

public static class AmlObjectExtensions
{
    /// <summary>The AML encoding of one object on its own (what tests and table builders compare).</summary>
    public static byte[] ToAml(this IAmlObject aml)
    {
        ArgumentNullException.ThrowIfNull(aml);
        var writer = new AmlWriter();
        aml.WriteTo(writer);
        return writer.ToArray();
    }
}
