namespace Turnstone.Acpi.Aml;

/// <summary>The shape Scope and Device share: opcode, PkgLength, name, then the terms.</summary>
internal static class AmlNamedBlock
{
    public static void Write(AmlWriter writer, ReadOnlySpan<byte> opcode, NamePath path, IReadOnlyList<IAmlObject> terms)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(terms);
        writer.WritePackage(opcode, body =>
        {
            path.WriteTo(body);
            foreach (var term in terms)
            {
                term.WriteTo(body);
            }
        });
    }
}
