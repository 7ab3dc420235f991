namespace Turnstone.Acpi.Aml;

/// <summary>
/// An integer constant in its shortest encoding: ZeroOp, OneOp, OnesOp, or a Byte/Word/DWord/
/// QWord prefix. OnesOp means all 64 bits set only in a revision-2 (64-bit) definition block,
/// which is what we emit; 0xFFFFFFFF is therefore a DWord, not Ones.
/// </summary>
public sealed record AmlInteger(ulong Value) : IAmlObject
{
    public static readonly AmlInteger Zero = new(0), One = new(1);

    public static implicit operator AmlInteger(ulong value) => new(value);

    public void WriteTo(AmlWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (Value)
        {
            case 0:
                writer.WriteByte(AmlOpcode.Zero);
                break;
            case 1:
                writer.WriteByte(AmlOpcode.One);
                break;
            case ulong.MaxValue:
                writer.WriteByte(AmlOpcode.Ones);
                break;
            case <= byte.MaxValue:
                writer.WriteByte(AmlOpcode.BytePrefix);
                writer.WriteByte((byte)Value);
                break;
            case <= ushort.MaxValue:
                writer.WriteByte(AmlOpcode.WordPrefix);
                writer.WriteUInt16((ushort)Value);
                break;
            case <= uint.MaxValue:
                writer.WriteByte(AmlOpcode.DWordPrefix);
                writer.WriteUInt32((uint)Value);
                break;
            default:
                writer.WriteByte(AmlOpcode.QWordPrefix);
                writer.WriteUInt64(Value);
                break;
        }
    }
}
