namespace Turnstone.Devices.Virtio.Console;

/// <summary>A terminal size in character cells.</summary>
public readonly record struct VirtioConsoleSize(ushort Columns, ushort Rows);
