using Turnstone.Devices.Bus;

namespace Turnstone.UnitTests.TestSupport;

/// <summary>An interrupt line that remembers its level and counts rising edges.</summary>
internal sealed class RecordingInterruptLine : IInterruptLine
{
    public bool Level { get; private set; }
    public int RisingEdges { get; private set; }

    public void SetLevel(bool asserted)
    {
        if (asserted && !Level)
        {
            RisingEdges++;
        }
        Level = asserted;
    }
}
