using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Turnstone.Cpu;
using Turnstone.Firmware.Bios;

namespace Turnstone.Machine.Bios;

/// <summary>
/// Compiles the BIOS's own code before the guest first calls it. The turnstone process runs with
/// tiered compilation off, so each method's first call pays for an optimising JIT: measured on a
/// GRUB boot, the first INT 10h, 13h and 15h calls took 1.5-6.6 ms each, about 20 ms of the
/// firmware's share of the boot against a few microseconds a call afterwards. Done on the pool
/// thread that assembles the ROM, it overlaps the VM's creation instead of stalling the vCPU.
/// </summary>
internal static class BiosCodeWarmup
{
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "JIT warm-up only; returns first without dynamic code")]
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "JIT warm-up only; returns first without dynamic code")]
    public static void CompileServices()
    {
        // The services, and on the machine's side the register window, the terminal the services
        // write and the console streams under it (the first INT 10h teletype took 3.6 ms before).
        var machineSide = new[]
        {
            typeof(Engines.SoftwareRealModeRegisters), typeof(ConsoleStreams), typeof(Terminal.HostStandardOutput),
            typeof(Terminal.BatchedConsoleOutput), typeof(HostIo.DescriptorOutputStream),
        };
        if (!System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported)
        {
            return; // ahead-of-time compiled: no JIT to warm
        }
        var biosTypes = new[] { typeof(BiosCall).Assembly, typeof(BiosCodeWarmup).Assembly }.SelectMany(a => a.GetTypes()).Where(IsBiosType);
        foreach (var type in biosTypes.Concat(machineSide))
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance |
                                                   BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                SoftwareCpuCodeWarmup.Prepare(method);
            }
            foreach (var constructor in type.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance))
            {
                SoftwareCpuCodeWarmup.Prepare(constructor);
            }
        }
        // The console's first batch arms the process's first timer, which starts the runtime's timer
        // thread: 1.4-5.2 ms of the first INT 10h teletype call of a GRUB boot. Done here instead.
        using var console = new Terminal.BatchedConsoleOutput(Stream.Null, holdFor: TimeSpan.Zero);
        console.WriteByte(0);
    }

    private static bool IsBiosType(Type type) =>
        type.Namespace is { } name && (name.StartsWith("Turnstone.Firmware.Bios", StringComparison.Ordinal) || name == typeof(BiosCodeWarmup).Namespace) &&
        !type.IsGenericTypeDefinition && !type.IsInterface;
}
