namespace Turnstone.Cpu.Internal;

/// <summary>Where an event delivered through the IDT came from: it decides the DPL check (software
/// interrupts only) and the EXT bit of error codes (everything but software interrupts).</summary>
internal enum EventKind
{
    Exception,
    Software,
    External,
}
