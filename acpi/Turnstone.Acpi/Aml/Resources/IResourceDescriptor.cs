namespace Turnstone.Acpi.Aml.Resources;

/// <summary>One small or large resource data item (ACPI 6.3, 6.4) inside a ResourceTemplate.</summary>
public interface IResourceDescriptor
{
    void WriteTo(AmlWriter writer);
}
