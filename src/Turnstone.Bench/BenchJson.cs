using System.Text.Json.Serialization;
using Turnstone.Bench.Bios;
using Turnstone.Bench.Boot;
using Turnstone.Bench.Engine;
using Turnstone.Bench.VirtioBlock;

namespace Turnstone.Bench;

/// <summary>
/// How every bench report's JSON is written (indented, camelCase), generated at build time: the
/// turnstone executable is compiled ahead of time (NativeAOT), where reflection-based serialisation
/// is not available. In a class of its own so that only writing a report initialises it: as a static
/// field of a report class, whose help text the CLI reads when it builds its commands, it loaded and
/// initialised System.Text.Json in every turnstone process, `run` included.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(BiosBenchResult))]
[JsonSerializable(typeof(BootBenchResult))]
[JsonSerializable(typeof(EngineBenchResult))]
[JsonSerializable(typeof(BlockDriverReportDocument))]
internal sealed partial class BenchJson : JsonSerializerContext;
