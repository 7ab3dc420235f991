namespace Turnstone.Firmware.Bios;

/// <summary>
/// The terminal as the BIOS sees it: INT 10h output goes to <see cref="Write"/>, INT 16h reads the
/// bytes the user typed (the monitor's console input, before the guest's own drivers take it).
/// Translating bytes and escape sequences into scan code/ASCII pairs is the keyboard service's job.
/// </summary>
public interface IBiosConsole
{
    void Write(ReadOnlySpan<byte> text);

    /// <summary>The next byte typed, without waiting; false when none is pending.</summary>
    bool TryReadByte(out byte value);

    /// <summary>True when a byte is pending (INT 16h 01h must not consume it).</summary>
    bool HasInput { get; }
}
