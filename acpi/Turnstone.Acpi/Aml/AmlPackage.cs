namespace Turnstone.Acpi.Aml;

/// <summary>
/// A package constant. Up to 255 elements fit PackageOp's one-byte count; longer packages (a
/// _PRT for many slots) become a VarPackageOp whose count is an integer term.
/// </summary>
public sealed record AmlPackage : IAmlObject
{
    public AmlPackage(params IReadOnlyList<IAmlObject> elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        Elements = elements.ToArray();
    }

    public IReadOnlyList<IAmlObject> Elements { get; }

    public void WriteTo(AmlWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        bool fixedCount = Elements.Count <= byte.MaxValue;
        writer.WritePackage([fixedCount ? AmlOpcode.Package : AmlOpcode.VarPackage], body =>
        {
            if (fixedCount)
            {
                body.WriteByte((byte)Elements.Count);
            }
            else
            {
                new AmlInteger((ulong)Elements.Count).WriteTo(body);
            }
            foreach (var element in Elements)
            {
                element.WriteTo(body);
            }
        });
    }

    public bool Equals(AmlPackage? other) => other is not null && Elements.SequenceEqual(other.Elements);

    public override int GetHashCode() => Elements.Count;
}
