namespace Turnstone.Acpi.Description;

/// <summary>MPS INTI trigger mode (MADT flags bits 2-3).</summary>
public enum MpsIntiTrigger : ushort
{
    ConformsToBus = 0,
    Edge = 1,
    Level = 3,
}
