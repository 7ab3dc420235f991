namespace Turnstone.Acpi.Aml.Resources;

/// <summary>Memory attribute (_MEM, type-specific bits 1-2).</summary>
public enum MemoryCaching : byte
{
    NonCacheable = 0,
    Cacheable = 1,
    WriteCombining = 2,
    Prefetchable = 3,
}
