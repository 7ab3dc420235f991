namespace Turnstone.Machine.Bios;

/// <summary>
/// A BIOS boot's firmware figures for the run summary: <paramref name="Time"/> is the firmware's
/// own share (the monitor's set-up of the BIOS on the start path plus every firmware call it
/// handled), <paramref name="Calls"/> how many calls; <paramref name="DiskTime"/> is the part of
/// that time the disk services spent moving <paramref name="DiskBytes"/> bytes between the images
/// and guest memory (<see cref="BiosDiskTransfers"/>).
/// </summary>
public sealed record BiosRunFigures(TimeSpan Time, long Calls, TimeSpan DiskTime, long DiskBytes);
