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
    public static void CompileServices()
    {
        // The services, and on the machine's side the register window, the terminal the services
        // write and the console stream under it (the first INT 10h teletype took 3.6 ms before).
        var machineSide = new[] { typeof(Engines.SoftwareRealModeRegisters), typeof(ConsoleStreams), typeof(Terminal.HostStandardOutput) };
        foreach (var assembly in new[] { typeof(BiosCall).Assembly, typeof(BiosCodeWarmup).Assembly })
        {
            foreach (var type in assembly.GetTypes().Where(t => IsBiosType(t) || machineSide.Contains(t)))
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
        }
    }

    private static bool IsBiosType(Type type) =>
        type.Namespace is { } name && (name.StartsWith("Turnstone.Firmware.Bios", StringComparison.Ordinal) || name == typeof(BiosCodeWarmup).Namespace) &&
        !type.IsGenericTypeDefinition && !type.IsInterface;
}
