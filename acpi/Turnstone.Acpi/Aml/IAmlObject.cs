namespace Turnstone.Acpi.Aml;

/// <summary>
/// A node of an AML tree: a term, a data object or a name. Each node writes its own encoding, so
/// a definition block is just its terms written one after another.
/// </summary>
public interface IAmlObject
{
    void WriteTo(AmlWriter writer);
}

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
