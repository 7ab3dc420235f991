namespace Turnstone.Acpi.Aml.Resources;

public enum InterruptTrigger
{
    Level,
    Edge,
}

public enum InterruptPolarity
{
    ActiveHigh,
    ActiveLow,
}
