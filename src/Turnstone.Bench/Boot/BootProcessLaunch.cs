namespace Turnstone.Bench.Boot;

/// <summary>
/// One boot for <see cref="BootProcessRunner"/>: the program and its arguments, how long it may
/// take, the console line it is timed to, and whether to stop it (SIGTERM) once that line shows,
/// for a guest that would otherwise wait at a shell (the disk images' root file system); with
/// <paramref name="GuestRamBytes"/>, the runner also samples the process's memory beyond guest RAM
/// (<see cref="ProcessMemory"/>) while it runs.
/// </summary>
public sealed record BootProcessLaunch(string Program, IReadOnlyList<string> Arguments, TimeSpan Timeout, ConsoleMarker Marker, bool StopAtMarker,
    long? GuestRamBytes = null);
