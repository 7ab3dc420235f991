namespace Turnstone.Acpi.Aml;

/// <summary>
/// Method(path, argCount, Serialized/NotSerialized) { body }. MethodFlags: bits 0-2 the argument
/// count, bit 3 serialized, bits 4-7 the sync level (always 0 here).
/// </summary>
public sealed record AmlMethod : IAmlObject
{
    public const int MaximumArguments = 7;

    public AmlMethod(NamePath path, int argumentCount, bool serialized, params IReadOnlyList<IAmlObject> body)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfNegative(argumentCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(argumentCount, MaximumArguments);
        Path = path;
        ArgumentCount = argumentCount;
        Serialized = serialized;
        Body = body.ToArray();
    }

    public NamePath Path { get; }

    public int ArgumentCount { get; }

    public bool Serialized { get; }

    public IReadOnlyList<IAmlObject> Body { get; }

    public void WriteTo(AmlWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WritePackage([AmlOpcode.Method], body =>
        {
            Path.WriteTo(body);
            body.WriteByte((byte)(ArgumentCount | (Serialized ? 0x08 : 0)));
            foreach (var term in Body)
            {
                term.WriteTo(body);
            }
        });
    }
}
