using System.Text;
using Turnstone.Firmware.Bios;

namespace Turnstone.UnitTests.Firmware.Bios;

/// <summary>A terminal for BIOS tests: typed bytes queued by the test, written bytes collected.</summary>
internal sealed class FakeBiosConsole : IBiosConsole
{
    private readonly Queue<byte> _input = new();
    private readonly List<byte> _output = [];

    public bool HasInput => _input.Count > 0;

    public string Output => Encoding.UTF8.GetString(_output.ToArray());

    public void Type(string text)
    {
        foreach (byte value in Encoding.Latin1.GetBytes(text))
        {
            _input.Enqueue(value);
        }
    }

    public void ClearOutput() => _output.Clear();

    public void Write(ReadOnlySpan<byte> text) => _output.AddRange(text.ToArray());

    public bool TryReadByte(out byte value) => _input.TryDequeue(out value);
}
