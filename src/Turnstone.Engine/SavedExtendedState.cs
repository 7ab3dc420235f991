namespace Turnstone.Engine;

/// <summary>
/// A place to keep a vCPU's extended state (x87, SSE, AVX...) between
/// <see cref="IEngineVcpu.SaveExtendedState"/> and <see cref="IEngineVcpu.RestoreExtendedState"/>.
/// Opaque: each engine has its own format, and only the vCPU that made it may fill or read it.
/// Made once and reused, so saving state on every timer tick allocates nothing.
/// </summary>
public abstract class SavedExtendedState
{
}
