using System.Runtime.InteropServices;

namespace Turnstone.Cpu.Native;

/// <summary>
/// Host memory for translated blocks (<see cref="NativeBlockCompiler"/>): chunks of a memfd mapped
/// twice, once read-write for the compiler and once read-execute for the vCPUs, so no page is ever
/// both writable and executable and a vCPU running one block never sees its page change protection
/// while another block is placed beside it (the .NET runtime's own JIT code is kept the same way).
/// Blocks are never freed one by one: a block whose guest code changed leaves its bytes behind, and
/// once <see cref="LimitBytes"/> are placed the arena refuses more (the caller falls back to the other
/// tiers), so a guest that rewrites code forever cannot grow the monitor without bound.
/// </summary>
internal static unsafe partial class NativeCodeArena
{
    private const int ChunkBytes = 4 << 20;
    private const int Alignment = 16;
    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4, MapShared = 0x01;

    /// <summary>The most bytes of translated code a process keeps.</summary>
    public const long LimitBytes = 256L << 20;

    private static readonly Lock Gate = new();
    private static byte* s_writable;
    private static nint s_executable;
    private static int s_used = ChunkBytes;
    private static long s_placed;
    private static long s_mapped;

    /// <summary>Bytes placed so far (every block ever translated, live or not).</summary>
    public static long PlacedBytes => Volatile.Read(ref s_placed);

    public static bool IsSupported { get; } =
        RuntimeInformation.ProcessArchitecture == Architecture.X64 && OperatingSystem.IsLinux();

    [LibraryImport("libc", EntryPoint = "memfd_create", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MemfdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int Ftruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    /// <summary>Copies <paramref name="code"/> into executable memory; its entry, or 0 when the arena
    /// is full or the host refused a new chunk.</summary>
    public static nint Place(ReadOnlySpan<byte> code, out nint writable)
    {
        writable = 0;
        if (!IsSupported || code.Length > ChunkBytes)
        {
            return 0;
        }
        lock (Gate)
        {
            int start = (s_used + Alignment - 1) & ~(Alignment - 1);
            if (start + code.Length > ChunkBytes)
            {
                if (s_mapped + ChunkBytes > LimitBytes || !MapChunk())
                {
                    return 0;
                }
                start = 0;
            }
            code.CopyTo(new Span<byte>(s_writable + start, code.Length));
            s_used = start + code.Length;
            Volatile.Write(ref s_placed, s_placed + code.Length);
            writable = (nint)(s_writable + start);
            return s_executable + start;
        }
    }

    /// <summary>Points a chainable exit's jump (its rel32 field, by its writable address) at <paramref name="target"/>;
    /// false when the target is out of a rel32's reach (blocks in chunks mapped far apart).</summary>
    public static bool PatchJump(nint writableField, nint executableField, nint target)
    {
        long relative = (long)target - ((long)executableField + 4);
        if (relative is < int.MinValue or > int.MaxValue)
        {
            return false;
        }
        *(int*)writableField = (int)relative;
        return true;
    }

    private static bool MapChunk()
    {
        int fd = MemfdCreate("turnstone-native-blocks", 1 /* MFD_CLOEXEC */);
        if (fd < 0)
        {
            return false;
        }
        try
        {
            if (Ftruncate(fd, ChunkBytes) != 0)
            {
                return false;
            }
            nint writable = Mmap(0, ChunkBytes, ProtRead | ProtWrite, MapShared, fd, 0);
            if (writable == -1)
            {
                return false;
            }
            nint executable = Mmap(0, ChunkBytes, ProtRead | ProtExec, MapShared, fd, 0);
            if (executable == -1)
            {
                return false;
            }
            s_writable = (byte*)writable;
            s_executable = executable;
            s_mapped += ChunkBytes;
            return true;
        }
        finally
        {
            Close(fd);
        }
    }
}
