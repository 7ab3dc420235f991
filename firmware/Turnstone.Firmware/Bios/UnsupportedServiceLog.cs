namespace Turnstone.Firmware.Bios;

/// <summary>Logs each BIOS function the guest asked for and we do not implement, once by name.</summary>
public sealed class UnsupportedServiceLog(TextWriter? log)
{
    private readonly HashSet<string> _reported = [];

    public IReadOnlyCollection<string> Reported => _reported;

    /// <param name="answer">What the guest got instead, for the log line.</param>
    public void Report(string name, string answer)
    {
        lock (_reported)
        {
            if (_reported.Add(name))
            {
                log?.WriteLine($"[turnstone] BIOS: {name} is not implemented; {answer}");
            }
        }
    }
}
