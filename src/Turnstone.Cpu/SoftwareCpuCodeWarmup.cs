using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Turnstone.Cpu;

/// <summary>
/// Compiles the software engine's own methods on a background thread, once per process, while a
/// machine is being set up. The turnstone process runs with tiered compilation off and this
/// assembly stays IL (ReadyToRun code would be final and slower on the hot paths; see
/// Turnstone.Cli.csproj), so without it every interpreter handler, the decoder's translation and
/// the block compiler pay an optimising JIT on the vCPU thread at their first use: about 400
/// methods in a GRUB boot, 120 ms of the vCPU's CPU before the kernel. On the host's second core
/// that work leaves the boot's path (bench bios, quiet 2-core host, 3 boots each: grub-mbr to init
/// 1.53 -> 1.38 s, syslinux-fat 1.10 -> 0.94 s); on a fully loaded host it competes for the CPU
/// like any other thread. A method the vCPU needs first is compiled by whichever thread gets to it
/// first; the runtime never compiles one twice.
/// </summary>
public static class SoftwareCpuCodeWarmup
{
    private static int _started;

    /// <summary>Starts the warm-up unless it ran in this process already.</summary>
    public static void StartOnce()
    {
        // Ahead-of-time compiled (NativeAOT): there is no JIT to warm up.
        if (RuntimeFeature.IsDynamicCodeSupported && Interlocked.Exchange(ref _started, 1) == 0)
        {
            new Thread(() =>
            {
                CompileEngine();
                Internal.JitMemoryReclaimer.ReclaimForever(); // the JIT's left-over working memory, from now on
            }) { IsBackground = true, Name = "engine warm-up" }.Start();
        }
    }

    // Reflection over the engine's own methods, for the JIT only: an ahead-of-time compiled (trimmed)
    // turnstone has no JIT to warm and never calls this (StartOnce checks).
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "JIT warm-up only; not reached without dynamic code")]
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "JIT warm-up only; not reached without dynamic code")]
    private static void CompileEngine()
    {
        // The CPU's own methods first (the run loop, Execute and its handlers), then the decoder's
        // translation, the block compiler and the rest.
        var types = typeof(SoftwareCpu).Assembly.GetTypes().OrderBy(type => type == typeof(SoftwareCpu) ? 0 : 1);
        foreach (var type in types)
        {
            if (type.IsGenericTypeDefinition || type.IsInterface)
            {
                continue;
            }
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance |
                                                   BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                Prepare(method);
            }
        }
    }

    /// <summary>Has the JIT compile <paramref name="method"/> now unless it cannot be compiled ahead
    /// (abstract, generic, no body, or refused by the runtime): such a method is compiled at its first
    /// call, as without a warm-up. Shared with the BIOS's warm-up (Turnstone.Machine).</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "JIT warm-up only; not reached without dynamic code")]
    public static void Prepare(MethodBase method)
    {
        if (method.IsAbstract || method.ContainsGenericParameters || method.GetMethodBody() is null)
        {
            return;
        }
        try
        {
            RuntimeHelpers.PrepareMethod(method.MethodHandle);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or InvalidOperationException or BadImageFormatException)
        {
            // Compiled on its first call instead.
        }
    }
}
