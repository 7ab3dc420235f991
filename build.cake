// Build script (Cake). Run through ./build.sh <target>.
var target = Argument("target", "build");
var configuration = Argument("configuration", "Release");
var solution = "./Turnstone.Platform.sln";
// The turnstone executable: the CLI compiled ahead of time (NativeAOT; see Turnstone.Cli.csproj).
// bin/<configuration>/net10.0/turnstone is the same program on the JIT (`dotnet turnstone.dll` too).
var cliProject = "./src/Turnstone.Cli/Turnstone.Cli.csproj";
var cliDirectory = $"./src/Turnstone.Cli/bin/{configuration}/aot";
var cli = $"{cliDirectory}/turnstone";

// The guest recipe prints KEY=path lines for what it built (cached outside the repository).
Dictionary<string, string> BuildGuest(string what)
{
    int exit = StartProcess("./images/build-guest.sh", new ProcessSettings
    {
        Arguments = what,
        RedirectStandardOutput = true,
    }, out IEnumerable<string> output);
    if (exit != 0)
    {
        throw new Exception($"images/build-guest.sh {what} failed with status {exit}");
    }
    return output.Where(line => line.Contains('='))
        .Select(line => line.Split('=', 2))
        .ToDictionary(parts => parts[0], parts => parts[1]);
}

// Debian's cloud kernel's tuning for hosts that emulate guest kernel code (one place: images/cloud-kernel.cmdline).
string CloudKernelTuning() => string.Join(" ", System.IO.File.ReadAllLines("./images/cloud-kernel.cmdline")
    .Select(line => line.Trim()).Where(line => line.Length > 0 && !line.StartsWith("#")));

// The boot targets' disk: a writable copy of the recipe's root file system, made once and kept,
// so what the guest writes survives from one boot to the next, as on any VM's disk.
string BootDisk()
{
    var image = BuildGuest("rootfs")["ROOTFS"];
    var cache = EnvironmentVariable("TURNSTONE_CACHE")
        ?? System.IO.Path.Combine(EnvironmentVariable("XDG_CACHE_HOME") ?? System.IO.Path.Combine(EnvironmentVariable("HOME"), ".cache"), "turnstone");
    var disk = System.IO.Path.Combine(cache, "disks", "rootfs.ext4");
    if (!System.IO.File.Exists(disk))
    {
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(disk));
        System.IO.File.Copy(image, disk);
        System.IO.File.SetAttributes(disk, System.IO.FileAttributes.Normal);
        Information($"boot disk: {disk} (a copy of {image}; delete it to start afresh)");
    }
    return disk;
}

void Boot(string kernel, string initrd, string commandLine)
{
    var arguments = new ProcessArgumentBuilder().Append("run").Append("--kernel").AppendQuoted(kernel);
    if (initrd != null)
    {
        arguments.Append("--initrd").AppendQuoted(initrd);
    }
    arguments.Append("--disk").AppendQuoted(BootDisk()).Append("--cmdline").AppendQuoted(commandLine)
        .Append("--engine").Append(LinuxRunsOnKvm() ? "kvm" : "soft");
    int exit = StartProcess(cli, new ProcessSettings { Arguments = arguments });
    if (exit != 0)
    {
        throw new Exception($"turnstone run exited with status {exit}");
    }
}

// Why /dev/kvm cannot be used here, in the words the monitor itself would use; null where it can
// be opened read-write.
string KvmUnusableReason()
{
    const string device = "/dev/kvm";
    if (!System.IO.File.Exists(device))
    {
        return $"cannot open {device}: it does not exist: the host has no KVM (enable virtualization, load kvm_intel or kvm_amd)";
    }
    try
    {
        using var kvm = new System.IO.FileStream(device, System.IO.FileMode.Open, System.IO.FileAccess.ReadWrite);
        return null;
    }
    catch (Exception e) when (e is UnauthorizedAccessException or System.IO.IOException)
    {
        return $"cannot open {device}: {e.Message} (add your user to the 'kvm' group or run as root)";
    }
}

Task("kvm")
    .Description("Checks that /dev/kvm exists and can be opened read-write")
    .Does(() =>
{
    if (KvmUnusableReason() is string reason)
    {
        throw new Exception(reason);
    }
});

// The boot targets run Linux where `turnstone run --engine auto` puts it (MachineEngineSelection):
// on KVM where /dev/kvm can be opened and KVM runs guest kernel code on the hardware, else on the
// software engine (no KVM, or a nested PVM host whose KVM emulates guest kernel code: about 30 times
// slower there), whose CPUID is the truth and whose command line needs no workarounds.
bool LinuxRunsOnKvm()
{
    if (System.IO.Directory.Exists("/sys/module/kvm_pvm"))
    {
        return false;
    }
    try
    {
        using var kvm = new System.IO.FileStream("/dev/kvm", System.IO.FileMode.Open, System.IO.FileAccess.ReadWrite);
        return true;
    }
    catch (Exception e) when (e is UnauthorizedAccessException or System.IO.IOException)
    {
        return false;
    }
}

const string SoftwareEngineTuning = "reboot=k panic=-1 tsc_early_khz=1000000 quiet";

Task("build")
    .Does(() =>
{
    DotNetBuild(solution, new DotNetBuildSettings { Configuration = configuration });
    DotNetPublish(cliProject, new DotNetPublishSettings
    {
        Configuration = configuration,
        OutputDirectory = cliDirectory,
        MSBuildSettings = new DotNetMSBuildSettings().WithProperty("PublishAot", "true"),
    });
});

Task("images")
    .Description("Build the guest kernels and initramfs from Debian packages (cached; instant when up to date)")
    .Does(() =>
{
    foreach (var entry in BuildGuest("all"))
    {
        Information($"{entry.Key} = {entry.Value}");
    }
});

Task("unit-test")
    .Description("Fast tests: no KVM, no guest images")
    .IsDependentOn("build")
    .Does(() =>
{
    var results = MakeAbsolute(Directory("./TestResults/unit"));
    CleanDirectory(results);
    try
    {
        // The CPU suite a second time with every 64-bit block translated to host code at its first run:
        // test machines leave that tier off unless asked (Linux machines turn it on), so this run is
        // what holds it to every test's expectations.
        foreach (var (project, trx, nativeThreshold) in new[] { ("Turnstone.UnitTests", "unit.trx", ""), ("Turnstone.Cpu.Tests", "cpu.trx", ""), ("Turnstone.Cpu.Tests", "cpu-host-code.trx", "0") })
        {
            var settings = new DotNetTestSettings
            {
                Configuration = configuration,
                NoBuild = true,
                ResultsDirectory = results,
                Loggers = { "console;verbosity=minimal", $"trx;LogFileName={trx}" },
            };
            if (nativeThreshold != "")
            {
                settings.EnvironmentVariables["TURNSTONE_NATIVE_THRESHOLD"] = nativeThreshold;
            }
            DotNetTest($"./tests/{project}/{project}.csproj", settings);
        }
    }
    finally
    {
        ReportFailedTests(System.IO.Directory.GetFiles(results.FullPath, "*.trx"));
    }
});

// What build.sh prints again after Cake's task table, so a log cut to its last lines (as CI's
// report is) still names the tests that failed and how many were skipped.
const string TestReportPath = "./TestResults/test-report.txt";
static readonly System.Xml.Linq.XNamespace TrxNamespace = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";

IEnumerable<System.Xml.Linq.XElement> TestResultsIn(string trx) =>
    System.Xml.Linq.XDocument.Load(trx).Descendants(TrxNamespace + "UnitTestResult");

string FirstMessage(System.Xml.Linq.XElement result) =>
    result.Descendants(TrxNamespace + "Message").Select(message => message.Value.Trim()).FirstOrDefault() ?? "";

// Each failed test with the start and the end of its message (an assertion's text comes first, a
// transcript's or a build log's last lines say most); the whole message is in the trx and above in the log.
void ReportFailedTests(IEnumerable<string> trxFiles)
{
    const int HeadLines = 8, TailLines = 12;
    var lines = new List<string>();
    foreach (var result in trxFiles.Where(System.IO.File.Exists).SelectMany(TestResultsIn)
        .Where(result => (string)result.Attribute("outcome") == "Failed"))
    {
        lines.Add($"FAILED {(string)result.Attribute("testName")}");
        var message = FirstMessage(result).Split('\n').Select(line => "    " + line.TrimEnd()).ToList();
        if (message.Count > HeadLines + TailLines)
        {
            message = message.Take(HeadLines).Append($"    ... ({message.Count - HeadLines - TailLines} lines)").Concat(message.TakeLast(TailLines)).ToList();
        }
        lines.AddRange(message);
    }
    if (lines.Count > 0)
    {
        lines.ForEach(line => Error(line));
        System.IO.File.AppendAllLines(TestReportPath, lines);
    }
}

void RunIntegrationTests(string filter, IDictionary<string, string> environment = null)
{
    var results = MakeAbsolute(Directory("./TestResults/integration"));
    CleanDirectory(results);
    try
    {
        DotNetTest("./tests/Turnstone.IntegrationTests/Turnstone.IntegrationTests.csproj", new DotNetTestSettings
        {
            Configuration = configuration,
            NoBuild = true,
            Filter = filter,
            ResultsDirectory = results,
            // detailed: the boot tests print their figures (boot timer, exits, monitor memory) into the log;
            // trx: the per-test outcomes and skip reasons ReportSkippedTests counts
            Loggers = { "console;verbosity=detailed", "trx;LogFileName=integration.trx" },
            EnvironmentVariables = environment ?? new Dictionary<string, string>(),
        });
    }
    finally
    {
        var trx = results.CombineWithFilePath("integration.trx").FullPath;
        ReportFailedTests(new[] { trx });
        ReportSkippedTests(trx);
    }
}

// The last line of the test log: how many KVM-backed tests were skipped on this host, and why
// (tests/Turnstone.IntegrationTests/Kvm.cs gives every such skip the reason prefix "needs KVM:").
void ReportSkippedTests(string trx)
{
    if (!System.IO.File.Exists(trx))
    {
        Warning($"no test results at {trx}: skipped tests cannot be counted");
        return;
    }
    var skipped = TestResultsIn(trx)
        .Where(result => (string)result.Attribute("outcome") == "NotExecuted")
        .Select(FirstMessage)
        .ToList();
    const string KvmPrefix = "needs KVM:";
    var kvm = skipped.Where(reason => reason.StartsWith(KvmPrefix)).ToList();
    var reasons = string.Join("; ", kvm.Select(reason => reason.Substring(KvmPrefix.Length).Trim()).Distinct());
    var lines = new List<string>
    {
        kvm.Count == 0 ? "KVM-backed tests skipped: 0 (/dev/kvm is usable)" : $"KVM-backed tests skipped: {kvm.Count} ({reasons})",
    };
    if (skipped.Count > kvm.Count)
    {
        lines.Insert(0, $"other tests skipped: {skipped.Count - kvm.Count} ({string.Join("; ", skipped.Except(kvm).Distinct())})");
    }
    lines.ForEach(line => Information(line));
    // build.sh prints this file again after Cake's task table, so the count is the log's last line.
    System.IO.File.AppendAllLines(TestReportPath, lines);
}

Task("test")
    .Description("Unit tests, then the engine tests and the minimal- and cloud-kernel boots under KVM")
    .IsDependentOn("unit-test")
    .IsDependentOn("images")
    .Does(() =>
{
    RunComponentTestsAsTheExecutableRunsThem();
    RunIntegrationTests("Category=Integration|Category=CloudKernel");
});

// The component tests run in this process on the JIT, where components use the .NET tier; the
// turnstone executable (NativeAOT) has no .NET tier and runs them on host code at the same threshold.
// This pass runs them so, ahead of the integration run whose KVM skip count ends the log.
void RunComponentTestsAsTheExecutableRunsThem()
{
    var results = MakeAbsolute(Directory("./TestResults/components-host-code"));
    CleanDirectory(results);
    try
    {
        DotNetTest("./tests/Turnstone.IntegrationTests/Turnstone.IntegrationTests.csproj", new DotNetTestSettings
        {
            Configuration = configuration,
            NoBuild = true,
            Filter = "FullyQualifiedName~ComponentTests",
            ResultsDirectory = results,
            Loggers = { "console;verbosity=minimal", "trx;LogFileName=components-host-code.trx" },
            EnvironmentVariables = { ["TURNSTONE_NATIVE_THRESHOLD"] = "48", ["TURNSTONE_COMPILE_THRESHOLD"] = "-1" },
        });
    }
    finally
    {
        ReportFailedTests(System.IO.Directory.GetFiles(results.FullPath, "*.trx"));
    }
}

Task("test-nested-kvm")
    .Description("The KVM rows on KVM nested in QEMU's software CPU, where this host's KVM cannot run them (opt-in: slow, and the emulation fails about one run in seven; see README)")
    .IsDependentOn("build")
    .IsDependentOn("images")
    .Does(() => RunIntegrationTests("FullyQualifiedName~OnNestedKvmTests",
        new Dictionary<string, string> { ["TURNSTONE_NESTED_KVM"] = "1" }));

Task("test-cloud")
    .Description("Boot Debian's cloud kernel to its initramfs (about 20 minutes on nested hosts, see README)")
    .IsDependentOn("build")
    .IsDependentOn("images")
    .Does(() => RunIntegrationTests("Category=CloudKernel"));

Task("boot")
    .Description("Boot Debian's cloud kernel: root file system on a virtio disk, shell on hvc0 (on the software engine about 10 s, which runs it where there is no KVM or KVM is nested PVM; see README)")
    .IsDependentOn("build")
    .Does(() =>
{
    Boot(BuildGuest("cloud")["CLOUD_KERNEL"], BuildGuest("initramfs-virtio")["VIRTIO_INITRAMFS"],
        "console=ttyS0 console=hvc0 root=/dev/vda rw " + (LinuxRunsOnKvm() ? CloudKernelTuning() : SoftwareEngineTuning));
});

Task("boot-minimal")
    .Description("Boot the minimal kernel (virtio built in) on the same disk: a shell on hvc0 in seconds (on the software engine where there is no KVM or KVM is nested PVM)")
    .IsDependentOn("build")
    .Does(() =>
{
    Boot(BuildGuest("minimal")["MINIMAL_KERNEL"], null,
        "console=ttyS0 console=hvc0 root=/dev/vda rw " + (LinuxRunsOnKvm() ? "reboot=k panic=-1 noxsave clearcpuid=smap quiet" : SoftwareEngineTuning));
});

void RunCli(string arguments)
{
    int exit = StartProcess(cli, new ProcessSettings { Arguments = arguments });
    if (exit != 0)
    {
        throw new Exception($"turnstone {arguments} exited with status {exit}");
    }
}

// Everything that can run on this host: the verbs that measure KVM itself (exits, components
// against the C floor) only where /dev/kvm can be opened, with the reason printed where not; the
// others run on the engine `--engine auto` picks. QEMU (qemu-system-x86) is the host's to install:
// without it the QEMU columns say "not run" and why.
Task("bench")
    .Description("turnstone bench exits and components (where KVM is usable), engine, virtio-blk, boot and bios: our figures against the C floor, host C code, QEMU TCG (with SeaBIOS for the disk images) and the host's own disk figures, measured in the same run")
    .IsDependentOn("build")
    .Does(() =>
{
    var components = BuildGuest("components")["COMPONENTS_DIR"];
    if (KvmUnusableReason() is string noKvm)
    {
        Warning($"bench exits and bench components skipped: they measure KVM itself, and {noKvm}");
    }
    else
    {
        RunCli("bench exits");
        RunCli($"bench components --components \"{components}\"");
    }
    RunCli($"bench engine --engine auto --components \"{components}\" --output BenchmarkResults");
    var rootfs = BuildGuest("rootfs");
    RunCli($"bench virtio-blk --driver \"{BuildGuest("blkdriver")["BLKDRIVER"]}\" --blkbench \"{rootfs["BLKBENCH"]}\" --output BenchmarkResults");
    var minimal = BuildGuest("minimal")["MINIMAL_KERNEL"];
    RunCli($"bench virtio-blk --guest linux --kernel \"{minimal}\" --rootfs \"{rootfs["ROOTFS"]}\" --blkbench \"{rootfs["BLKBENCH"]}\" --rand-ops 2000");
    RunCli($"bench boot --minimal-kernel \"{minimal}\" --cloud-kernel \"{BuildGuest("cloud")["CLOUD_KERNEL"]}\" " +
           $"--initramfs \"{BuildGuest("initramfs")["INITRAMFS"]}\" --output BenchmarkResults");
    // The BIOS disk images (not debian12: slow to build and boot; `turnstone bench bios --debian12`
    // adds it). KVM rows are left out, with the reason printed, where KVM is nested PVM, which runs
    // no real-mode code.
    RunCli($"bench bios --grub-mbr \"{BuildGuest("grub-mbr")["GRUB_MBR_DISK"]}\" --syslinux-fat \"{BuildGuest("syslinux-fat")["SYSLINUX_FAT_DISK"]}\" " +
           $"--gpt-cloud \"{BuildGuest("gpt-cloud")["GPT_CLOUD_DISK"]}\" --output BenchmarkResults");
});

Task("bench-dotnet")
    .Description("The BenchmarkDotNet suite (components, virtqueue and virtio-blk hot paths with allocations), with ratios to the C floor measured at its start")
    .IsDependentOn("build")
    .Does(() =>
{
    var settings = new DotNetRunSettings
    {
        Configuration = configuration,
        NoBuild = true,
        EnvironmentVariables = { ["TURNSTONE_COMPONENTS"] = BuildGuest("components")["COMPONENTS_DIR"] },
    };
    DotNetRun("./tests/Turnstone.Benchmarks/Turnstone.Benchmarks.csproj", new ProcessArgumentBuilder().Append("--filter").Append("*"), settings);
});

RunTarget(target);
