namespace Turnstone.Acpi.Aml.Resources;

/// <summary>Which I/O ranges a bridge decodes (_RNG, type-specific bits 0-1).</summary>
public enum IoRange : byte
{
    NonIsaOnly = 1,
    IsaOnly = 2,
    EntireRange = 3,
}
