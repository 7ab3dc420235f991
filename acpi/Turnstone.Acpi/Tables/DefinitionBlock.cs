using Turnstone.Acpi.Aml;

namespace Turnstone.Acpi.Tables;

/// <summary>
/// A DSDT or SSDT: the standard header over an AML term list. Revision 2 makes integers 64 bits
/// wide, which the QWord MMIO window and OnesOp rely on.
/// </summary>
internal static class DefinitionBlock
{
    public const byte Revision = 2;

    public static byte[] Create(string signature, string tableTag, IReadOnlyList<IAmlObject> terms)
    {
        var aml = new AmlWriter();
        foreach (var term in terms)
        {
            aml.Write(term);
        }
        return SystemDescriptionTable.Create(signature, Revision, tableTag, aml.ToArray());
    }
}
