using Turnstone.Bench.Boot;

namespace Turnstone.Bench.Bios;

/// <summary>
/// One disk image <c>bench bios</c> boots through the firmware: its short name (the recipe's
/// target), its file in the recipe's cache (read-only: each boot gets a copy), and the console line
/// a boot of it is timed to.
/// </summary>
public sealed record BiosBenchImage(string Name, string Path, ConsoleMarker Marker)
{
    public const string GrubMbr = "grub-mbr";
    public const string SyslinuxFat = "syslinux-fat";
    public const string GptCloud = "gpt-cloud";
    public const string Debian12 = "debian12";

    /// <summary>What images/rootfs/init prints first on every console (then it waits at a shell on hvc0).</summary>
    public static readonly ConsoleMarker RootInit = new("turnstone-guest: root file system reached");

    /// <summary>Debian 12's getty prompt on ttyS0 (<c>turnstone-debian12 login: root (automatic login)</c>).</summary>
    public static readonly ConsoleMarker Login = new("login:");

    public static BiosBenchImage For(string name, string path) => new(name, path, name == Debian12 ? Login : RootInit);
}
