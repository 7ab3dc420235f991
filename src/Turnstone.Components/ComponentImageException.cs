namespace Turnstone.Components;

/// <summary>A component file or option set the loader refuses; the message names the problem.
/// Thrown before any VM exists.</summary>
public sealed class ComponentImageException(string message) : Exception(message);
