namespace Turnstone.Acpi.Aml.Resources;

/// <summary>How an interrupt resource descriptor says the line signals: by level or by edge.</summary>
public enum InterruptTrigger
{
    Level,
    Edge,
}
