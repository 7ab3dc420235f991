namespace Turnstone.Engine;

public enum EngineExitKind
{
    /// <summary>IN/OUT (or INS/OUTS) to <see cref="EngineExit.Address"/>; a write has retired.</summary>
    PortIo,
    /// <summary>A load or store outside RAM.</summary>
    Mmio,
    /// <summary>HLT with nothing to wake the vCPU.</summary>
    Halt,
    /// <summary>A triple fault: the CPU could not deliver an exception.</summary>
    Shutdown,
    /// <summary><see cref="IEngineVcpu.Kick"/> (a timeout, a timer tick, Ctrl-C) made the vCPU return.</summary>
    Interrupted,
    /// <summary>The engine cannot go on: KVM reported an internal error, or the software engine met
    /// an instruction it does not implement. <see cref="EngineExit.Description"/> says which.</summary>
    Failed,
    /// <summary>An exit the engine reports but this interface does not model (the description names it).</summary>
    Other,
}
