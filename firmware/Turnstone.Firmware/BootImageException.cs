namespace Turnstone.Firmware;

/// <summary>A kernel, initrd or command line the loader refuses; the message names the problem.
/// Thrown before any VM exists, so nothing is left half-built.</summary>
public sealed class BootImageException(string message) : Exception(message);
