namespace Turnstone.Bench;

/// <summary>The host a benchmark ran on, for its report: figures mean little without the CPU and the load.</summary>
public static class HostDescription
{
    public static string Machine()
    {
        string cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"
            : "unknown CPU";
        return $"{Environment.ProcessorCount} cores, {cpu}, {Environment.OSVersion}";
    }

    /// <summary>The load averages now (a shared host's other work slows every column alike, but not evenly).</summary>
    public static string Load()
    {
        string[] fields = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ') : [];
        return fields.Length >= 3 ? $"load average {fields[0]} {fields[1]} {fields[2]} on {Environment.ProcessorCount} cores" : "load unknown";
    }
}
