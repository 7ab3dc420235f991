using System.Text.Json;

namespace Turnstone.Bench;

/// <summary>
/// The options every bench report's JSON is written with. In a class of its own so that only
/// writing a report initialises them: as a static field of a report class, whose help text the CLI
/// reads when it builds its commands, it loaded and initialised System.Text.Json in every turnstone
/// process, `run` included.
/// </summary>
internal static class BenchJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
    };
}
