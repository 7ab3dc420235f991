using Turnstone.Firmware.Elf;

namespace Turnstone.Components;

/// <summary>
/// The pages a component may use and with which rights: its PT_LOAD segments (R, R+X or R+W,
/// never W+X), the shared call block and input/output areas, and its stack below the top of
/// memory with an unmapped guard page beneath. Built from a validated ELF before any VM exists;
/// the page tables and every hypercall pointer check derive from this one list.
/// </summary>
public sealed class ComponentAddressSpace
{
    private readonly UserRange[] _ranges;

    private ComponentAddressSpace(UserRange[] ranges, ulong memorySize, ulong entry)
    {
        _ranges = ranges;
        MemorySize = memorySize;
        Entry = entry;
    }

    public IReadOnlyList<UserRange> Ranges => _ranges;
    public ulong MemorySize { get; }
    public ulong Entry { get; }
    public ulong StackTop => MemorySize;

    /// <summary>Checks the ELF against the component rules and lays out its address space.</summary>
    public static ComponentAddressSpace Plan(ElfImage image, ComponentLimits limits, string what = "component")
    {
        limits.Validate();
        if (image.Type != 2)
        {
            throw new ComponentImageException($"{what}: position-independent executable (ET_DYN); link it with -static -no-pie");
        }
        ulong stackBottom = limits.MemorySize - limits.StackSize;
        ulong imageLimit = stackBottom - ComponentLayout.PageSize; // the guard page stays unmapped
        var ranges = new List<UserRange>
        {
            new(ComponentLayout.CallBlock, ComponentLayout.CallBlock + ComponentLayout.PageSize, true, false, UserRangeKind.CallBlock),
            new(ComponentLayout.InputArea, ComponentLayout.InputArea + PageAlign((ulong)limits.MaxInputSize), true, false, UserRangeKind.InputArea),
            new(ComponentLayout.OutputArea, ComponentLayout.OutputArea + PageAlign((ulong)limits.MaxOutputSize), true, false, UserRangeKind.OutputArea),
        };
        foreach (var segment in image.Segments.OrderBy(s => s.VirtualAddress))
        {
            bool writable = (segment.Flags & ElfLoadSegment.Write) != 0, executable = (segment.Flags & ElfLoadSegment.Execute) != 0;
            ulong start = segment.VirtualAddress & ~(ComponentLayout.PageSize - 1), end = PageAlign(segment.VirtualAddress + segment.MemorySize);
            if (writable && executable)
            {
                throw new ComponentImageException($"{what}: segment at 0x{segment.VirtualAddress:x} is both writable and executable (W^X: relink with -z separate-code)");
            }
            if (start < ComponentLayout.ImageBase)
            {
                throw new ComponentImageException($"{what}: segment at 0x{segment.VirtualAddress:x} lies below the image base 0x{ComponentLayout.ImageBase:x}");
            }
            if (end > imageLimit || end <= start) // end wraps to 0 for a segment at the top of the address space
            {
                throw new ComponentImageException(
                    $"{what}: the image needs memory up to 0x{end:x} but the memory limit of {limits.MemorySize >> 10} KiB " +
                    $"leaves room up to 0x{imageLimit:x} (below the {limits.StackSize >> 10} KiB stack); raise the memory limit");
            }
            if (ranges.Count > 3 && start < ranges[^1].End)
            {
                var previous = ranges[^1];
                if (start < previous.End - ComponentLayout.PageSize || previous.Writable != writable || previous.Executable != executable)
                {
                    throw new ComponentImageException(
                        $"{what}: segments at 0x{previous.Start:x} and 0x{segment.VirtualAddress:x} share a page with different rights; align segments to 4 KiB");
                }
                ranges[^1] = previous with { End = Math.Max(previous.End, end) };
                continue;
            }
            var kind = executable ? UserRangeKind.Text : writable ? UserRangeKind.Data : UserRangeKind.ReadOnlyData;
            ranges.Add(new UserRange(start, end, writable, executable, kind));
        }
        if (!ranges.Any(r => r.Executable && r.Contains(image.Entry, 1)))
        {
            throw new ComponentImageException($"{what}: entry point 0x{image.Entry:x} is not inside an executable segment");
        }
        ranges.Add(new UserRange(stackBottom, limits.MemorySize, true, false, UserRangeKind.Stack));
        return new ComponentAddressSpace([.. ranges], limits.MemorySize, image.Entry);
    }

    /// <summary>True when [address, address+length) lies wholly in pages the component may read
    /// (or write, with <paramref name="write"/>). Zero-length ranges must still point inside.</summary>
    public bool IsAccessible(ulong address, ulong length, bool write)
    {
        foreach (var range in _ranges)
        {
            if (range.Contains(address, Math.Max(length, 1)))
            {
                return !write || range.Writable;
            }
        }
        return false;
    }

    public bool IsExecutable(ulong address) => _ranges.Any(r => r.Executable && r.Contains(address, 1));

    public static ulong PageAlign(ulong value) => (value + ComponentLayout.PageSize - 1) & ~(ComponentLayout.PageSize - 1);
}
