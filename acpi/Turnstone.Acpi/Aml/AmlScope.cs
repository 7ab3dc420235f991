namespace Turnstone.Acpi.Aml;

/// <summary>Scope(path) { terms }: opens an existing namespace node, typically \_SB.</summary>
public sealed record AmlScope(NamePath Path, params IReadOnlyList<IAmlObject> Terms) : IAmlObject
{
    public void WriteTo(AmlWriter writer) => AmlNamedBlock.Write(writer, [AmlOpcode.Scope], Path, Terms);
}
