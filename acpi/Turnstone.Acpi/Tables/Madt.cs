using Turnstone.Acpi.Description;

namespace Turnstone.Acpi.Tables;

/// <summary>
/// The Multiple APIC Description Table (ACPI 6.3, 5.2.12), revision 5: local APIC address, the
/// PCAT_COMPAT flag (there are 8259s, which the OS must mask before using the I/O APIC), then
/// one Processor Local APIC entry per vCPU, the I/O APIC, the interrupt source overrides and a
/// Local APIC NMI entry wiring every processor's LINT1 as NMI, as on a PC.
/// </summary>
public static class Madt
{
    private const byte ProcessorLocalApic = 0, IoApic = 1, InterruptSourceOverride = 2, LocalApicNmi = 4;
    private const uint PcatCompatible = 1, ProcessorEnabled = 1;
    private const byte AllProcessors = 0xFF;

    public static byte[] Build(MachineDescription machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        var body = new TableWriter()
            .U32(machine.LocalApicAddress)
            .U32(PcatCompatible);
        for (int cpu = 0; cpu < machine.VcpuCount; cpu++)
        {
            // ACPI processor UID = APIC id = index: the SSDT's processor devices use the same _UID.
            body.U8(ProcessorLocalApic).U8(8).U8((byte)cpu).U8((byte)cpu).U32(ProcessorEnabled);
        }
        body.U8(IoApic).U8(12).U8(machine.IoApic.Id).U8(0).U32(machine.IoApic.Address).U32(machine.IoApic.GsiBase);
        foreach (var o in machine.InterruptSourceOverrides)
        {
            body.U8(InterruptSourceOverride).U8(10).U8(0 /* ISA */).U8(o.IsaIrq).U32(o.Gsi).U16(o.Flags);
        }
        body.U8(LocalApicNmi).U8(6).U8(AllProcessors).U16(0 /* conforms: edge, active-high */).U8(1 /* LINT1 */);
        return SystemDescriptionTable.Create("APIC", 5, "APIC", body.ToArray());
    }
}
