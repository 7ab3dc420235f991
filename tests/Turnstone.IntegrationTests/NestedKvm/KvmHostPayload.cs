using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Turnstone.IntegrationTests.Robustness;

namespace Turnstone.IntegrationTests.NestedKvm;

/// <summary>
/// The read-only root disk of the KVM host VM (<see cref="KvmHostVm"/>): this host's own .NET
/// runtime and the shared libraries it loads (so the command line runs inside exactly as built
/// here), the command line's build output at /opt/turnstone, the static busybox of the virtio
/// initramfs, the cloud kernel's KVM modules in load order, and kvm-host-init.sh as
/// /sbin/kvm-host-init. Built once per test process in a temporary directory that the process
/// removes when it exits.
/// </summary>
internal static partial class KvmHostPayload
{
    /// <summary>What kvm-host-init.sh runs; each a link to busybox.</summary>
    private static readonly string[] Applets = ["sh", "mount", "umount", "insmod", "poweroff", "sync", "cat", "sleep", "pidof", "sed", "cut"];

    /// <summary>The module KVM needs on QEMU's emulated AMD CPU; its dependencies are loaded first.</summary>
    private const string KvmModule = "kernel/arch/x86/kvm/kvm-amd.ko";

    private static readonly Lazy<string> Built = new(Build);

    /// <summary>The payload's ext4 image (built on first use).</summary>
    public static string Image => Built.Value;

    private static string Build()
    {
        var directory = Directory.CreateTempSubdirectory("turnstone-kvm-host-");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => directory.Delete(recursive: true);
        string stage = Path.Combine(directory.FullName, "stage");
        foreach (string empty in new[] { "bin", "sbin", "kvm", "proc", "sys", "dev", "tmp", "guest" })
        {
            Directory.CreateDirectory(Path.Combine(stage, empty));
        }

        AddBusybox(stage);
        AddKvmModules(stage);
        string runtime = RuntimeEnvironment.GetRuntimeDirectory().TrimEnd('/');
        string dotnetRoot = Path.GetFullPath(Path.Combine(runtime, "..", "..", ".."));
        CopyTree(runtime, Within(stage, runtime));
        CopyTree(Path.Combine(dotnetRoot, "host", "fxr"), Within(stage, Path.Combine(dotnetRoot, "host", "fxr")));
        string cli = Path.GetDirectoryName(TurnstoneChildProcess.CliPath)!;
        CopyTree(cli, Path.Combine(stage, "opt", "turnstone"));
        AddSharedLibraries(stage, [TurnstoneChildProcess.CliPath, .. Directory.GetFiles(runtime, "*.so"),
            .. Directory.GetFiles(Path.Combine(dotnetRoot, "host", "fxr"), "*.so", SearchOption.AllDirectories)]);
        string init = Path.Combine(stage, "sbin", "kvm-host-init");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "NestedKvm", "kvm-host-init.sh"), init);
        Run("chmod", "755", init);

        string image = Path.Combine(directory.FullName, "payload.ext4");
        MakeExt4(stage, image, "kvm-host");
        Directory.Delete(stage, recursive: true);
        return image;
    }

    /// <summary>An ext4 image of <paramref name="tree"/> (mke2fs -d), with room to spare for what the VM writes.</summary>
    public static void MakeExt4(string tree, string image, string label)
    {
        long bytes = new DirectoryInfo(tree).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        long mebibytes = (bytes >> 20) * 5 / 4 + 64;
        Run("mke2fs", "-q", "-t", "ext4", "-L", label, "-d", tree, image, $"{mebibytes}M");
    }

    private static void AddBusybox(string stage)
    {
        string busybox = Path.Combine(stage, "bin", "busybox");
        Run("sh", "-c", "gzip -dc \"$0\" | cpio -i --quiet --to-stdout bin/busybox >\"$1\"", GuestImages.VirtioInitramfs, busybox);
        if (new FileInfo(busybox).Length == 0)
        {
            throw new InvalidOperationException($"{GuestImages.VirtioInitramfs} has no bin/busybox");
        }
        Run("chmod", "755", busybox);
        foreach (string applet in Applets)
        {
            File.CreateSymbolicLink(Path.Combine(stage, "bin", applet), "busybox");
        }
    }

    /// <summary>kvm-amd and what modules.dep says it needs, dependencies first, with their names in kvm/modules.order.</summary>
    private static void AddKvmModules(string stage)
    {
        string modules = GuestImages.CloudModules;
        string? line = File.ReadLines(Path.Combine(modules, "modules.dep")).FirstOrDefault(l => l.StartsWith(KvmModule + ":", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"{modules}/modules.dep has no {KvmModule}: the cloud kernel cannot run KVM on an AMD CPU");
        // modules.dep lists a module's dependencies each before what needs it, read from the end.
        var files = line.Split([':', ' '], StringSplitOptions.RemoveEmptyEntries).Skip(1).Reverse().Append(KvmModule).ToList();
        var order = new List<string>();
        foreach (string file in files)
        {
            if (!file.EndsWith(".ko", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{file} in {modules} is compressed; busybox insmod needs an uncompressed .ko");
            }
            string name = Path.GetFileNameWithoutExtension(file);
            File.Copy(Path.Combine(modules, file), Path.Combine(stage, "kvm", name + ".ko"));
            order.Add(name);
        }
        File.WriteAllLines(Path.Combine(stage, "kvm", "modules.order"), order);
    }

    /// <summary>Every shared library ldd names for <paramref name="binaries"/>, at its own path inside the stage.</summary>
    private static void AddSharedLibraries(string stage, IEnumerable<string> binaries)
    {
        var libraries = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string binary in binaries)
        {
            foreach (Match match in LddPath().Matches(Run("ldd", binary)))
            {
                libraries.Add(match.Groups["path"].Value);
            }
        }
        foreach (string library in libraries.Where(l => !File.Exists(Within(stage, l))))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Within(stage, library))!);
            File.Copy(library, Within(stage, library));
        }
    }

    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)".
    [GeneratedRegex(@"^\s*(?:\S+ => )?(?<path>/\S+) \(0x", RegexOptions.Multiline)]
    private static partial Regex LddPath();

    private static string Within(string stage, string absolute) => Path.Combine(stage, absolute.TrimStart('/'));

    private static void CopyTree(string source, string destination)
    {
        foreach (string directory in Directory.GetDirectories(source, "*", SearchOption.AllDirectories).Prepend(source))
        {
            Directory.CreateDirectory(Path.Combine(destination, Path.GetRelativePath(source, directory)));
        }
        foreach (string file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(destination, Path.GetRelativePath(source, file)));
        }
    }

    /// <summary>Runs a host tool and returns its standard output; throws with its errors when it fails.</summary>
    public static string Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? output
            : throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {errors.Result}");
    }
}
