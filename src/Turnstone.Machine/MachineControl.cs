using Turnstone.Devices.Bus;

namespace Turnstone.Machine;

/// <summary>Collects the first reason the VM should stop and wakes the vCPUs so they see it.</summary>
internal sealed class MachineControl : IMachineControl
{
    private readonly Lock _gate = new();
    private readonly List<Action> _kickers = [];
    private MachineExit? _exit;

    public MachineExit? Exit
    {
        get
        {
            lock (_gate)
            {
                return _exit;
            }
        }
    }

    public bool StopRequested => Volatile.Read(ref _exit) is not null;

    public void AddKicker(Action kick)
    {
        lock (_gate)
        {
            _kickers.Add(kick);
        }
    }

    public void Stop(MachineExit exit)
    {
        Action[] kickers;
        lock (_gate)
        {
            if (_exit is not null)
            {
                return;
            }
            _exit = exit;
            kickers = [.. _kickers];
        }
        foreach (var kick in kickers)
        {
            kick();
        }
    }

    public void RequestReset(string source) => Stop(new MachineExit(MachineExitKind.Reset, $"guest reset ({source})"));

    public void RequestPowerOff(string source) => Stop(new MachineExit(MachineExitKind.PowerOff, $"guest powered off ({source})"));
}
