using Turnstone.Engine;

namespace Turnstone.IntegrationTests;

/// <summary>Rows on the software engine: they need no /dev/kvm and always run.</summary>
public sealed class OnSoftEngineAttribute(string? rows = null) : EngineDataAttribute(EngineChoice.Soft, rows);
