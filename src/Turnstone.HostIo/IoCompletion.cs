namespace Turnstone.HostIo;

/// <summary>A finished request: the caller's tag and the bytes moved, or a negative errno (-EBADF is -9).</summary>
public readonly record struct IoCompletion(ulong UserData, int Result);
