using Turnstone.Acpi.Aml;
using Turnstone.Acpi.Description;

namespace Turnstone.Acpi.Tables;

/// <summary>
/// An SSDT declaring one processor device per vCPU: \_SB.Cnnn (nnn the index in hex) with _HID
/// "ACPI0007" and _UID n. The OS pairs each with the MADT's Processor Local APIC entry whose
/// ACPI processor UID is n. Devices rather than the Processor() operator, which ACPI 6.0
/// deprecated.
/// </summary>
public static class ProcessorSsdt
{
    public static byte[] Build(MachineDescription machine) => DefinitionBlock.Create("SSDT", "CPUS", Terms(machine));

    internal static IReadOnlyList<IAmlObject> Terms(MachineDescription machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        var processors = Enumerable.Range(0, machine.VcpuCount)
            .Select(cpu => (IAmlObject)new AmlDevice($"C{cpu:X3}",
                new AmlName("_HID", new AmlString("ACPI0007")),
                new AmlName("_UID", new AmlInteger((ulong)cpu))))
            .ToArray();
        return [new AmlScope("\\_SB", processors)];
    }
}
