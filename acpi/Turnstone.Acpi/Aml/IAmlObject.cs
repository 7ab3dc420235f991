namespace Turnstone.Acpi.Aml;

/// <summary>
/// A node of an AML tree: a term, a data object or a name. Each node writes its own encoding, so
/// a definition block is just its terms written one after another.
/// </summary>
public interface IAmlObject
{
    void WriteTo(AmlWriter writer);
}
