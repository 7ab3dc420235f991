using System.Diagnostics;

namespace Turnstone.IntegrationTests;

/// <summary>
/// The guest artefacts the boot tests use, from the repository's recipe (images/build-guest.sh),
/// which builds them from Debian packages on first use and answers from its cache afterwards.
/// </summary>
public static class GuestImages
{
    public const string InitMarker = "turnstone-guest: init reached";

    private static readonly Lazy<Dictionary<string, string>> All = new(() => Build("all"));
    private static readonly Lazy<Dictionary<string, string>> ComponentBuild = new(() => Build("components"));

    public static string MinimalKernel => Get("MINIMAL_KERNEL");
    public static string MinimalVmlinux => Get("MINIMAL_VMLINUX");
    public static string CloudKernel => Get("CLOUD_KERNEL");
    /// <summary>The cloud kernel's modules directory (lib/modules/&lt;abi&gt;, with modules.dep).</summary>
    public static string CloudModules =>
        All.Value.TryGetValue("CLOUD_MODULES", out string? path) && Directory.Exists(path)
            ? path
            : throw new InvalidOperationException("images/build-guest.sh did not produce CLOUD_MODULES");
    public static string Initramfs => Get("INITRAMFS");
    public static string VirtioInitramfs => Get("VIRTIO_INITRAMFS");
    /// <summary>The bare-metal virtio-blk driver guest (images/blkdriver), a PVH ELF.</summary>
    public static string BlockDriver => Get("BLKDRIVER");
    /// <summary>The recipe's ext4 root file system image (read-only in the cache: tests boot a copy).</summary>
    public static string RootFileSystem => Get("ROOTFS");

    private static readonly Dictionary<string, Lazy<Dictionary<string, string>>> SingleTargets = new();

    /// <summary>
    /// A disk image for the BIOS from one recipe target (grub-mbr, syslinux-fat, gpt-cloud,
    /// debian12), read-only in the cache, by the key the recipe prints for it (GRUB_MBR_DISK, ...).
    /// </summary>
    public static string BiosDisk(string target, string key)
    {
        Lazy<Dictionary<string, string>> build;
        lock (SingleTargets)
        {
            if (!SingleTargets.TryGetValue(target, out build!))
            {
                build = new Lazy<Dictionary<string, string>>(() => Build(target));
                SingleTargets[target] = build;
            }
        }
        return build.Value.TryGetValue(key, out string? path) && File.Exists(path)
            ? path
            : throw new InvalidOperationException($"images/build-guest.sh {target} did not produce {key}");
    }

    /// <summary>A writable copy of the root file system image in <paramref name="directory"/>.</summary>
    public static string CopyOfRootFileSystem(string directory)
    {
        string copy = Path.Combine(directory, "rootfs.ext4");
        File.Copy(RootFileSystem, copy, overwrite: true);
        File.SetAttributes(copy, FileAttributes.Normal);
        return copy;
    }

    /// <summary>A sample component from images/components/samples, built by the recipe (cheap: no kernel build).</summary>
    public static string Component(string name)
    {
        string path = Path.Combine(ComponentBuild.Value.GetValueOrDefault("COMPONENTS_DIR") ?? "", name + ".elf");
        return File.Exists(path) ? path : throw new InvalidOperationException($"images/build-guest.sh components did not produce {name}.elf");
    }

    public static string ComponentHostProgram(string name)
    {
        string path = Path.Combine(ComponentBuild.Value.GetValueOrDefault("COMPONENTS_DIR") ?? "", name);
        return File.Exists(path) ? path : throw new InvalidOperationException($"images/build-guest.sh components did not produce {name}");
    }

    private static string Get(string key) =>
        All.Value.TryGetValue(key, out string? path) && File.Exists(path)
            ? path
            : throw new InvalidOperationException($"images/build-guest.sh did not produce {key}");

    private static Dictionary<string, string> Build(string target)
    {
        string script = Path.Combine(RepositoryRoot(), "images", "build-guest.sh");
        var start = new ProcessStartInfo(script, target) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var log = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} {target} failed ({process.ExitCode}):\n{log.Result}");
        }
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => parts[1]);
    }

    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Turnstone.Platform.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("cannot find the repository root (Turnstone.Platform.sln) above the test binaries");
    }
}
