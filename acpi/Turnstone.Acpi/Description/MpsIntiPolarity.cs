namespace Turnstone.Acpi.Description;

/// <summary>MPS INTI polarity (MADT flags bits 0-1).</summary>
public enum MpsIntiPolarity : ushort
{
    ConformsToBus = 0,
    ActiveHigh = 1,
    ActiveLow = 3,
}
