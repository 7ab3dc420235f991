namespace Turnstone.Cpu;

/// <summary>Why <see cref="SoftwareCpu.Run"/> returned.</summary>
public enum CpuExitReason
{
    /// <summary>An <c>in</c>/<c>ins</c> needs a value from the host: answer with
    /// <see cref="SoftwareCpu.CompleteRead"/>, then run again (the instruction is restarted and
    /// consumes the value).</summary>
    PortRead,
    /// <summary>An <c>out</c>/<c>outs</c> wrote a value; the instruction has retired.</summary>
    PortWrite,
    /// <summary>A read of guest-physical memory outside RAM: answer with
    /// <see cref="SoftwareCpu.CompleteRead"/>, then run again.</summary>
    MmioRead,
    /// <summary>A write to guest-physical memory outside RAM; the instruction has retired.</summary>
    MmioWrite,
    /// <summary><c>hlt</c>: the CPU sleeps until an interrupt is requested (RIP is past the
    /// <c>hlt</c>). Running again with no deliverable interrupt returns this exit again at once.</summary>
    Halt,
    /// <summary>A triple fault (or another condition after which a real CPU shuts down).</summary>
    Shutdown,
    /// <summary>A valid instruction (or a mode) this engine does not implement yet. RIP points at it
    /// and nothing of it has executed.</summary>
    NotImplemented,
    /// <summary>The instruction budget given to <see cref="SoftwareCpu.Run"/> is spent.</summary>
    BudgetExhausted,
    /// <summary><see cref="SoftwareCpu.RequestStop"/> was called (from any thread).</summary>
    StopRequested,
    /// <summary>The interrupt window opened (RFLAGS.IF set, no STI/MOV SS shadow) after
    /// <see cref="SoftwareCpu.RequestInterruptWindowExit"/>: the host's controller may hand over a vector now.</summary>
    InterruptWindow,
}
