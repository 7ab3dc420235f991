namespace Turnstone.Acpi.Aml;

/// <summary>A buffer constant: BufferOp, PkgLength, the size as an integer term, the bytes.</summary>
public sealed record AmlBuffer : IAmlObject
{
    private readonly byte[] _bytes;

    public AmlBuffer(ReadOnlySpan<byte> bytes) => _bytes = bytes.ToArray();

    public ReadOnlySpan<byte> Bytes => _bytes;

    public void WriteTo(AmlWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WritePackage([AmlOpcode.Buffer], body =>
        {
            new AmlInteger((ulong)_bytes.Length).WriteTo(body);
            body.WriteBytes(_bytes);
        });
    }

    public bool Equals(AmlBuffer? other) => other is not null && Bytes.SequenceEqual(other.Bytes);

    public override int GetHashCode() => _bytes.Length;
}
