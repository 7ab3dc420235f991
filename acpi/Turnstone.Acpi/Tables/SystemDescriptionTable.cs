using System.Buffers.Binary;

namespace Turnstone.Acpi.Tables;

/// <summary>
/// The 36-byte header every system description table starts with (ACPI 6.3, 5.2.6): signature,
/// length of the whole table, revision, checksum over the whole table, OEM id, OEM table id, OEM
/// revision, creator id and creator revision. Every Turnstone table carries OEM id "TRNSTN" and
/// an OEM table id of "TRNS" plus a four-letter tag, so tables can be told apart in a dump.
/// </summary>
internal static class SystemDescriptionTable
{
    public const int HeaderLength = 36;
    public const int LengthOffset = 4, RevisionOffset = 8, ChecksumOffset = 9;
    public const string OemId = "TRNSTN", CreatorId = "TRNS";
    public const uint OemRevision = 1, CreatorRevision = 1;

    /// <summary>A complete table: header followed by <paramref name="body"/>, checksum set.</summary>
    public static byte[] Create(string signature, byte revision, string tableTag, ReadOnlySpan<byte> body)
    {
        if (signature.Length != 4 || tableTag.Length != 4)
        {
            throw new ArgumentException("signatures and table tags are four characters");
        }
        var header = new TableWriter()
            .Ascii(signature, 4)
            .U32((uint)(HeaderLength + body.Length))
            .U8(revision)
            .U8(0) // checksum, sealed below
            .Ascii(OemId, 6)
            .Ascii("TRNS" + tableTag, 8)
            .U32(OemRevision)
            .Ascii(CreatorId, 4)
            .U32(CreatorRevision);
        var table = header.Raw(body).ToArray();
        AcpiChecksum.Seal(table, ChecksumOffset);
        return table;
    }

    public static uint LengthOf(ReadOnlySpan<byte> table) => BinaryPrimitives.ReadUInt32LittleEndian(table[LengthOffset..]);
}
