// Build script (Cake). Run through ./build.sh <target>.
var target = Argument("target", "build");
var configuration = Argument("configuration", "Release");
var solution = "./Turnstone.Platform.sln";
var cli = $"./src/Turnstone.Cli/bin/{configuration}/net10.0/turnstone";

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

Task("build")
    .Does(() =>
{
    DotNetBuild(solution, new DotNetBuildSettings { Configuration = configuration });
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
    DotNetTest("./tests/Turnstone.UnitTests/Turnstone.UnitTests.csproj", new DotNetTestSettings
    {
        Configuration = configuration,
        NoBuild = true,
    });
});

void RunIntegrationTests(string filter)
{
    DotNetTest("./tests/Turnstone.IntegrationTests/Turnstone.IntegrationTests.csproj", new DotNetTestSettings
    {
        Configuration = configuration,
        NoBuild = true,
        Filter = filter,
        // detailed: the boot tests print their figures (boot timer, exits, monitor memory) into the log
        Loggers = { "console;verbosity=detailed" },
    });
}

Task("test")
    .Description("Unit tests, then the engine tests and the minimal- and cloud-kernel boots under KVM")
    .IsDependentOn("unit-test")
    .IsDependentOn("images")
    .Does(() => RunIntegrationTests("Category=Integration|Category=CloudKernel"));

Task("test-cloud")
    .Description("Boot Debian's cloud kernel to its initramfs (about 20 minutes on nested hosts, see README)")
    .IsDependentOn("build")
    .IsDependentOn("images")
    .Does(() => RunIntegrationTests("Category=CloudKernel"));

Task("boot")
    .Description("Boot the default guest (minimal kernel + busybox initramfs) with its console on this terminal")
    .IsDependentOn("build")
    .Does(() =>
{
    var kernel = BuildGuest("minimal")["MINIMAL_KERNEL"];
    var initrd = BuildGuest("initramfs")["INITRAMFS"];
    int exit = StartProcess(cli, new ProcessSettings
    {
        Arguments = new ProcessArgumentBuilder().Append("run").Append("--kernel").AppendQuoted(kernel).Append("--initrd").AppendQuoted(initrd),
    });
    if (exit != 0)
    {
        throw new Exception($"turnstone run exited with status {exit}");
    }
});

void RunCli(string arguments)
{
    int exit = StartProcess(cli, new ProcessSettings { Arguments = arguments });
    if (exit != 0)
    {
        throw new Exception($"turnstone {arguments} exited with status {exit}");
    }
}

Task("bench")
    .Description("turnstone bench exits and components: our figures against the C floor (and host C code), measured in the same run")
    .IsDependentOn("build")
    .Does(() =>
{
    RunCli("bench exits");
    RunCli($"bench components --components \"{BuildGuest("components")["COMPONENTS_DIR"]}\"");
});

Task("bench-dotnet")
    .Description("The BenchmarkDotNet suite (components), with ratios to the C floor measured at its start")
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
