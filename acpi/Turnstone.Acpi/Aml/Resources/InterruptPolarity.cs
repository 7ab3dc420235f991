namespace Turnstone.Acpi.Aml.Resources;

/// <summary>Which level (or edge) of an interrupt resource is the asserted one.</summary>
public enum InterruptPolarity
{
    ActiveHigh,
    ActiveLow,
}
