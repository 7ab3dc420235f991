namespace Turnstone.Machine.Engines;

/// <summary>The guest cannot run on the engine chosen (Linux on the software engine before issue 12).</summary>
public sealed class MachineEngineException(string message) : Exception(message);
