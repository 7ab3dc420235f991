namespace Turnstone.Acpi.Aml.Resources;

/// <summary>Field width of an address space descriptor: Word (tag 0x88), DWord (0x87) or QWord (0x8A).</summary>
public enum AddressWidth
{
    Word = 2,
    DWord = 4,
    QWord = 8,
}
