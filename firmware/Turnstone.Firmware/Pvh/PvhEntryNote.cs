using System.Buffers.Binary;
using Turnstone.Firmware.Elf;

namespace Turnstone.Firmware.Pvh;

/// <summary>
/// XEN_ELFNOTE_PHYS32_ENTRY: the ELF note (owner "Xen", type 18) that makes an ELF bootable through
/// the PVH protocol, holding the physical address of its 32-bit entry point. Xen's header calls it
/// a 32-bit value; Linux writes it pointer-sized (8 bytes in an ELF64), so both sizes are accepted.
/// </summary>
public static class PvhEntryNote
{
    public const string Owner = "Xen";
    public const uint Phys32EntryType = 18;

    /// <summary>The entry address the ELF's PVH note gives, or null when it has none. Throws on a malformed note.</summary>
    public static uint? Find(ElfImage elf, string what)
    {
        uint? entry = null;
        foreach (var note in elf.Notes.Where(n => n.Name == Owner && n.Type == Phys32EntryType))
        {
            var descriptor = note.Descriptor.Span;
            ulong address = descriptor.Length switch
            {
                4 => BinaryPrimitives.ReadUInt32LittleEndian(descriptor),
                8 => BinaryPrimitives.ReadUInt64LittleEndian(descriptor),
                _ => throw new BootImageException(
                    $"{what}: PVH entry note has a {descriptor.Length}-byte descriptor; expected a 4- or 8-byte physical address"),
            };
            if (address > uint.MaxValue)
            {
                throw new BootImageException($"{what}: PVH entry 0x{address:x} is above 4 GiB, out of reach of a 32-bit entry without paging");
            }
            if (entry is { } earlier && earlier != address)
            {
                throw new BootImageException($"{what}: two PVH entry notes disagree (0x{earlier:x} and 0x{address:x})");
            }
            entry = (uint)address;
        }
        return entry;
    }
}
