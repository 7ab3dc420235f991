namespace Turnstone.Components;

/// <summary>The resources one component VM may use. Every limit is checked before the VM exists.</summary>
public sealed record ComponentLimits
{
    /// <summary>Guest memory, from 0 up; the stack sits at its top. At most 256 MiB.</summary>
    public ulong MemorySize { get; init; } = 16ul << 20;
    public ulong StackSize { get; init; } = 64ul << 10;
    /// <summary>Largest input a host call may pass (the input area's size), at most 1 MiB.</summary>
    public int MaxInputSize { get; init; } = 1 << 20;
    /// <summary>Largest result a call may return, and largest single print (the output area's size), at most 1 MiB.</summary>
    public int MaxOutputSize { get; init; } = 64 << 10;
    /// <summary>Wall-clock budget for initialisation and for each call; a guest still running then is stopped.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    internal void Validate()
    {
        const ulong MinimumMemory = ComponentLayout.ImageBase + (64ul << 10);
        if (MemorySize % ComponentLayout.PageSize != 0 || MemorySize < MinimumMemory || MemorySize > ComponentLayout.MaxMemorySize)
        {
            throw new ComponentImageException(
                $"memory limit {MemorySize} bytes: must be a multiple of 4 KiB between {MinimumMemory >> 10} KiB and {ComponentLayout.MaxMemorySize >> 20} MiB");
        }
        if (StackSize % ComponentLayout.PageSize != 0 || StackSize < ComponentLayout.PageSize || StackSize > MemorySize - ComponentLayout.ImageBase - ComponentLayout.PageSize)
        {
            throw new ComponentImageException($"stack size {StackSize} bytes: must be a multiple of 4 KiB that fits above the image base");
        }
        if (MaxInputSize is < 1 or > ComponentLayout.MaxAreaSize || MaxOutputSize is < 1 or > ComponentLayout.MaxAreaSize)
        {
            throw new ComponentImageException($"input and output limits must be between 1 byte and {ComponentLayout.MaxAreaSize >> 20} MiB");
        }
        if (CallTimeout <= TimeSpan.Zero)
        {
            throw new ComponentImageException("the call timeout must be positive");
        }
    }
}
