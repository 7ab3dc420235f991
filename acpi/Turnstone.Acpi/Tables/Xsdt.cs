namespace Turnstone.Acpi.Tables;

/// <summary>The Extended System Description Table: 64-bit addresses of every table but the DSDT and FACS, which the FADT points at.</summary>
public static class Xsdt
{
    public static byte[] Build(IReadOnlyList<ulong> tableAddresses)
    {
        ArgumentNullException.ThrowIfNull(tableAddresses);
        var body = new TableWriter();
        foreach (ulong address in tableAddresses)
        {
            body.U64(address);
        }
        return SystemDescriptionTable.Create("XSDT", 1, "XSDT", body.ToArray());
    }
}
